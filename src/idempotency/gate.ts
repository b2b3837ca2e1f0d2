import { IdempotencyKeyInvalidError, IdempotencyMismatchError } from '../errors.js';
import type { IdempotencyOutcome, IdempotencyStore, IdempotencyTicket, StoredResponse } from './idempotency-store.js';

const MAX_KEY_LENGTH = 255;
const SPACE = 0x20;
const TILDE = 0x7e;

/** Marks the answer a repeat gets from the stored response. */
export const REPLAYED_HEADER = 'idempotent-replayed';

/** A key whose request waits for a promise here; repeats with the same body wait for it. */
interface InFlight {
  bodyHash: string;
  /** Created only when a repeat arrives while the first is running: most keys are never repeated. */
  waiters: (() => void)[] | undefined;
}

/** The stored response a repeat of a completed request gets, instead of running it again. */
export class Replay {
  constructor(readonly response: StoredResponse) {}
}

/**
 * Idempotency-Key for one instance, whatever answers the request (the plugin, or the direct POST). A
 * repeat of a completed request gets the stored response; a repeat of one still running here waits
 * for it. A request is "running here" only while it waits for a promise (its work's, or the store's):
 * with the in-memory store a new key is looked up, applied and recorded in one synchronous run, where
 * no other request can come in between, so it costs no promise and no entry in the in-flight map.
 */
export class IdempotencyGate {
  readonly #inFlight = new Map<string, InFlight>();

  constructor(
    private readonly store: IdempotencyStore,
    private readonly ttlMs: number,
  ) {}

  /** The key as stored: the header, checked, scoped to the caller's API key id (null: no auth). */
  keyOf(header: string | string[], keyId: string | null): string {
    if (typeof header !== 'string' || !isValidKey(header)) throw new IdempotencyKeyInvalidError();
    return `${keyId ?? '-'}:${header}`;
  }

  /** What tells the request's body from another, as the store keeps it (IdempotencyStore.bodyHash). */
  bodyHashOf(body: unknown): string {
    return this.store.bodyHash(body);
  }

  /**
   * Runs `work` under `key` for a request whose body hashes to `bodyHash`, unless the key's stored
   * response replays it (a different body is a mismatch). Its response (`responseOf` its result;
   * undefined: not one to replay) is stored before the result is handed back, so that a repeat arriving
   * after the answer finds it. Success or failure, the key is then released: waiters find the stored
   * response, or run the request themselves.
   */
  serve<T>(
    key: string,
    bodyHash: string,
    work: (ticket: IdempotencyTicket) => T | Promise<T>,
    responseOf: (result: T) => StoredResponse | undefined,
  ): T | Replay | Promise<T | Replay> {
    const running = this.#inFlight.size === 0 ? undefined : this.#inFlight.get(key);
    if (running) {
      if (running.bodyHash !== bodyHash) throw new IdempotencyMismatchError();
      const over = new Promise<void>((resolve) => {
        running.waiters ??= [];
        running.waiters.push(resolve);
      });
      return over.then(() => this.serve(key, bodyHash, work, responseOf));
    }
    // The clock is read once for a request that runs synchronously (a call costs about 0.1 µs here).
    const now = Date.now();
    const found = this.store.get(key, now);
    if (!(found instanceof Promise)) return this.#start(key, bodyHash, found, work, responseOf, now);
    return found.then((outcome) =>
      // Another repeat may have started while `get` was awaited.
      !outcome && this.#inFlight.has(key)
        ? this.serve(key, bodyHash, work, responseOf)
        : this.#start(key, bodyHash, outcome, work, responseOf, Date.now()),
    );
  }

  #start<T>(
    key: string,
    bodyHash: string,
    found: IdempotencyOutcome | undefined,
    work: (ticket: IdempotencyTicket) => T | Promise<T>,
    responseOf: (result: T) => StoredResponse | undefined,
    now: number,
  ): T | Replay | Promise<T> {
    if (found) {
      if (found.bodyHash !== bodyHash) throw new IdempotencyMismatchError();
      return new Replay(found.response);
    }
    const ticket: IdempotencyTicket = { key, bodyHash, expiresAt: now + this.ttlMs };
    // Thrown synchronously: nothing is held, nothing to release.
    const result = work(ticket);
    if (!(result instanceof Promise)) return this.#record(ticket, result, responseOf, false, now);
    this.#hold(ticket);
    return result.then(
      (done) => this.#record(ticket, done, responseOf, true, Date.now()),
      (err: unknown) => this.#fail(ticket, err),
    );
  }

  #record<T>(
    ticket: IdempotencyTicket,
    result: T,
    responseOf: (result: T) => StoredResponse | undefined,
    held: boolean,
    now: number,
  ): T | Promise<T> {
    let recording: void | Promise<void>;
    try {
      const response = responseOf(result);
      recording = response && this.store.put(ticket, { bodyHash: ticket.bodyHash, response }, now);
    } catch (err) {
      if (held) this.#release(ticket);
      throw err;
    }
    if (!(recording instanceof Promise)) {
      if (held) this.#release(ticket);
      return result;
    }
    if (!held) this.#hold(ticket);
    return recording.then(
      () => {
        this.#release(ticket);
        return result;
      },
      (err: unknown) => this.#fail(ticket, err),
    );
  }

  #fail(ticket: IdempotencyTicket, err: unknown): never {
    this.#release(ticket);
    throw err;
  }

  #hold(ticket: IdempotencyTicket): void {
    this.#inFlight.set(ticket.key, { bodyHash: ticket.bodyHash, waiters: undefined });
  }

  #release(ticket: IdempotencyTicket): void {
    const running = this.#inFlight.get(ticket.key);
    if (!running) return;
    this.#inFlight.delete(ticket.key);
    if (running.waiters) for (const wake of running.waiters) wake();
  }
}

/**
 * Printable ASCII without spaces at the ends, 1 to 255 characters: what agents generate (UUIDs, ULIDs,
 * hashes). A loop over the characters: the regular expression it replaces cost more, with the
 * machinery of every match (bench/RESULTS.md, (h), tenth sitting).
 */
function isValidKey(key: string): boolean {
  const last = key.length - 1;
  if (last < 0 || last >= MAX_KEY_LENGTH || key.charCodeAt(0) === SPACE || key.charCodeAt(last) === SPACE) {
    return false;
  }
  for (let i = 0; i <= last; i++) {
    const c = key.charCodeAt(i);
    if (c < SPACE || c > TILDE) return false;
  }
  return true;
}
