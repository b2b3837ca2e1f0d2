import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
} from 'cockatiel';
import type { Logger } from 'pino';
import { BREAKER_STATES, type BreakerState } from '../../breaker-state.js';
import { isOutage, isTransient } from './errors.js';

export interface GuardOptions {
  /** Retries of a retried operation after its first attempt (transient errors only). */
  retries?: number;
  /** Consecutive outage errors that open the breaker. */
  failuresToOpen?: number;
  /** First and longest wait before an open breaker lets one call through to test the database. */
  halfOpenAfterMs?: { initial: number; max: number };
}

/**
 * Every call to the database goes through here (cockatiel): a circuit breaker that opens after a few
 * consecutive outage errors, so that while the database is away requests fail at once with a 503
 * instead of each waiting out its own connection attempts and retries; after a backoff it lets one call
 * through (a request or a readiness ping), and closes when that one succeeds; calls made meanwhile fail
 * at once too. Around the breaker, `retrying` retries transient errors with backoff; the breaker's own
 * rejection is never retried.
 */
/**
 * Logs a database failure, but not the breaker's refusals: the breaker says once, as it opens, that the
 * database is gone, rather than once a call for the whole outage.
 */
export function warnUnlessRefused(log: Logger, err: unknown, message: string, bindings: object = {}): void {
  if (!(err instanceof BrokenCircuitError)) log.warn({ err, ...bindings }, message);
}

export class StoreGuard {
  readonly #breaker: CircuitBreakerPolicy;
  readonly #transient: IPolicy;

  constructor(log: Logger, { retries = 5, failuresToOpen = 5, halfOpenAfterMs }: GuardOptions = {}) {
    const halfOpen = halfOpenAfterMs ?? { initial: 250, max: 2000 };
    this.#breaker = circuitBreaker(handleWhen(isOutage), {
      breaker: new ConsecutiveBreaker(failuresToOpen),
      halfOpenAfter: new ExponentialBackoff({ initialDelay: halfOpen.initial, maxDelay: halfOpen.max }),
    });
    this.#breaker.onBreak((reason) => {
      const err = 'error' in reason ? reason.error : undefined;
      log.warn({ err }, 'database unreachable; failing fast until it answers again');
    });
    this.#breaker.onReset(() => log.info('database reachable again'));
    // Once a failure has opened the breaker, waiting to try again would only delay the 503.
    this.#transient = retry(
      handleWhen((err) => isTransient(err) && this.#breaker.state === CircuitState.Closed),
      {
        maxAttempts: retries,
        backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }),
      },
    );
  }

  /** Through the breaker, with retries of transient errors. */
  retrying<T>(fn: () => Promise<T>): Promise<T> {
    return this.#transient.execute(() => this.once(fn));
  }

  /** Through the breaker, one attempt: readiness pings, metrics, reads whose caller decides what next. */
  once<T>(fn: () => Promise<T>): Promise<T> {
    // cockatiel makes a call that comes while the test call runs wait for its outcome: up to a connection
    // timeout when the database does not answer at all. Only the test call goes to the database.
    if (this.#breaker.state === CircuitState.HalfOpen) return Promise.reject(new BrokenCircuitError());
    return this.#breaker.execute(fn);
  }

  get state(): BreakerState {
    return BREAKER_STATES[this.#breaker.state];
  }
}
