import { IdempotencyKeyInvalidError, IdempotencyMismatchError } from '../errors.js';
import type { IdempotencyOutcome, IdempotencyStore, IdempotencyTicket, StoredResponse } from './idempotency-store.js';

// Printable ASCII without spaces at the ends: what agents generate (UUIDs, ULIDs, hashes).
const VALID_KEY = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;

/** Marks the answer a repeat gets from the stored response. */
export const REPLAYED_HEADER = 'idempotent-replayed';

/** A claimed key whose request is still running here; repeats with the same body wait for it. */
interface InFlight {
  bodyHash: string;
  /** Created only when a repeat arrives while the first is running: most keys are never repeated. */
  waiters: (() => void)[] | undefined;
}

/** What a request with an Idempotency-Key gets: a ticket to run with, or the response to replay. */
export type Claim = IdempotencyTicket | { replay: StoredResponse };

/**
 * Idempotency-Key for one instance, whatever answers the request (the plugin, or the direct POST). A
 * repeat of a completed request gets the stored response; a repeat of one still running here waits
 * for it. With an in-memory store a new key costs no promise: claiming and recording run synchronously,
 * and only a store that answers with a promise (PostgreSQL) or a repeat that must wait takes a turn.
 */
export class IdempotencyGate {
  readonly #inFlight = new Map<string, InFlight>();

  constructor(
    private readonly store: IdempotencyStore,
    private readonly ttlMs: number,
  ) {}

  /** The key as stored: the header, checked, scoped to the caller's API key id (null: no auth). */
  keyOf(header: string | string[], keyId: string | null): string {
    if (typeof header !== 'string' || !VALID_KEY.test(header)) throw new IdempotencyKeyInvalidError();
    return `${keyId ?? '-'}:${header}`;
  }

  /** Claims `key` for a request whose body hashes to `bodyHash`; a different body is a mismatch. */
  claim(key: string, bodyHash: string): Claim | Promise<Claim> {
    const running = this.#inFlight.get(key);
    if (running) {
      if (running.bodyHash !== bodyHash) throw new IdempotencyMismatchError();
      const over = new Promise<void>((resolve) => {
        running.waiters ??= [];
        running.waiters.push(resolve);
      });
      return over.then(() => this.claim(key, bodyHash));
    }
    const outcome = this.store.get(key);
    if (!(outcome instanceof Promise)) return this.#settle(key, bodyHash, outcome);
    return outcome.then((found) =>
      // Another repeat may have claimed the key while `get` was awaited.
      !found && this.#inFlight.has(key) ? this.claim(key, bodyHash) : this.#settle(key, bodyHash, found),
    );
  }

  /**
   * Runs the request holding `ticket`. Its response (`responseOf` its result; undefined: not one to
   * replay) is stored before the result is handed back, so that a repeat arriving after the answer
   * finds it. Success or failure, the key is then released: waiters find the stored response, or run
   * the request themselves.
   */
  run<T>(
    ticket: IdempotencyTicket,
    work: () => T | Promise<T>,
    responseOf: (result: T) => StoredResponse | undefined,
  ): T | Promise<T> {
    const fail = (err: unknown): never => {
      this.#release(ticket);
      throw err;
    };
    const record = (result: T): T | Promise<T> => {
      let recording: void | Promise<void>;
      try {
        const response = responseOf(result);
        recording = response && this.store.put(ticket, { bodyHash: ticket.bodyHash, response });
      } catch (err) {
        return fail(err);
      }
      if (!(recording instanceof Promise)) {
        this.#release(ticket);
        return result;
      }
      return recording.then(() => {
        this.#release(ticket);
        return result;
      }, fail);
    };
    let result: T | Promise<T>;
    try {
      result = work();
    } catch (err) {
      return fail(err);
    }
    return result instanceof Promise ? result.then(record, fail) : record(result);
  }

  #settle(key: string, bodyHash: string, outcome: IdempotencyOutcome | undefined): Claim {
    if (outcome) {
      if (outcome.bodyHash !== bodyHash) throw new IdempotencyMismatchError();
      return { replay: outcome.response };
    }
    this.#inFlight.set(key, { bodyHash, waiters: undefined });
    return { key, bodyHash, expiresAt: Date.now() + this.ttlMs };
  }

  #release(ticket: IdempotencyTicket): void {
    const running = this.#inFlight.get(ticket.key);
    if (!running) return;
    this.#inFlight.delete(ticket.key);
    if (running.waiters) for (const wake of running.waiters) wake();
  }
}
