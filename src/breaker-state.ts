import { CircuitState } from 'cockatiel';

/** A circuit breaker's state as `/ready` and `/metrics` report it (the store's, and the Kafka sink's). */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** cockatiel's states as reported: isolated (opened by hand) is open. */
export const BREAKER_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};
