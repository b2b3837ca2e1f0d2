import {
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  type IPolicy,
  retry,
  wrap,
} from 'cockatiel';
import { BREAKER_STATES, type BreakerState } from '../breaker-state.js';

export interface SendPolicyEvents {
  /** Kafka failed twice in a row: the circuit opened. */
  onBreak(): void;
  /** A send succeeded again: the circuit closed. */
  onReset(): void;
  /** A send failed and will be tried again after a backoff. */
  onRetry(err: unknown): void;
}

export interface SendPolicy {
  policy: IPolicy;
  breakerState(): BreakerState;
}

/**
 * How the Kafka sink keeps trying (cockatiel): unlimited attempts with exponential backoff capped at
 * `retryMaxMs`, behind a circuit breaker that stops hammering a broker that is down and re-tests it
 * after a backoff of its own. Only an abort signal (shutdown) ends the attempts.
 */
export function sendPolicy(retryMaxMs: number, events: SendPolicyEvents): SendPolicy {
  const backoff = { initialDelay: Math.min(100, retryMaxMs), maxDelay: retryMaxMs };
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: new ExponentialBackoff({ ...backoff, initialDelay: Math.min(1_000, retryMaxMs) }),
    breaker: new ConsecutiveBreaker(2),
  });
  breaker.onBreak(() => events.onBreak());
  breaker.onReset(() => events.onReset());
  const retries = retry(handleAll, { backoff: new ExponentialBackoff(backoff) });
  retries.onRetry((reason) => events.onRetry('error' in reason ? reason.error : undefined));
  return { policy: wrap(retries, breaker), breakerState: () => BREAKER_STATES[breaker.state] };
}
