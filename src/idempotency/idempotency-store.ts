import { acceptedJson } from '../schemas/flow.js';

/** The response a first request got, replayed verbatim to its repeats. */
export interface StoredResponse {
  statusCode: number;
  /** The serialized JSON body. */
  payload: string;
}

export interface IdempotencyOutcome {
  /** What tells the request's body from another (IdempotencyStore.bodyHash), so a different batch is told apart. */
  bodyHash: string;
  response: StoredResponse;
}

/** The outcome of a POST /flows that applied `accepted` records: the one success a key can hold. */
export function acceptedOutcome(bodyHash: string, accepted: number): IdempotencyOutcome {
  return { bodyHash, response: { statusCode: 200, payload: acceptedJson(accepted) } };
}

const ACCEPTED_PREFIX = acceptedJson(0).slice(0, -2);
const CLOSING_BRACE = 0x7d;
const ZERO = 0x30;
/** Digits of Number.MAX_SAFE_INTEGER. */
const MAX_DIGITS = 16;

/**
 * The records count of an acceptedOutcome response; undefined for any other response. Read digit by
 * digit: it runs for every request with a new key, where parsing and re-serializing the count cost more.
 */
export function acceptedCount({ statusCode, payload }: StoredResponse): number | undefined {
  const end = payload.length - 1;
  const digits = end - ACCEPTED_PREFIX.length;
  if (statusCode !== 200 || digits < 1 || digits > MAX_DIGITS || payload.charCodeAt(end) !== CLOSING_BRACE) {
    return undefined;
  }
  if (!payload.startsWith(ACCEPTED_PREFIX) || (digits > 1 && payload.charCodeAt(ACCEPTED_PREFIX.length) === ZERO)) {
    return undefined;
  }
  let accepted = 0;
  for (let i = ACCEPTED_PREFIX.length; i < end; i++) {
    const digit = payload.charCodeAt(i) - ZERO;
    if (!(digit >= 0 && digit <= 9)) return undefined;
    accepted = accepted * 10 + digit;
  }
  return Number.isSafeInteger(accepted) ? accepted : undefined;
}

/**
 * What a request with an Idempotency-Key carries into `FlowStore.ingest`. `key` is already scoped to
 * the caller (API key id, or "-" when authentication is off), so two tenants never share a key.
 */
export interface IdempotencyTicket {
  key: string;
  bodyHash: string;
  /** Epoch milliseconds after which the key may be forgotten and reused. */
  expiresAt: number;
}

/**
 * Completed idempotent requests. Requests still in flight are tracked per instance by IdempotencyGate;
 * a store shared by several instances detects a concurrent one through its own transaction instead.
 * A store held in memory answers synchronously, so that a request with a new key costs no extra turn
 * of the event loop; one that asks a database answers with promises.
 *
 * A persistent backend provides one as `StoreBackend.idempotency`, and its store, in
 * `ingest(records, { idempotency })`:
 * - inserts (key, bodyHash, records.length, expiresAt) in the batch's own transaction, so the key exists
 *   exactly when the batch does (with group commit, a refused batch does not fail the others in its group);
 * - on a unique-key conflict with a live row (committed, or uncommitted in another transaction: the
 *   insert waits for it) applies nothing and throws IdempotencyInFlightError (409); the caller's retry
 *   then finds the committed row through `get`. An expired row may be overwritten;
 * - `get` reads committed, unexpired rows and answers `{ statusCode: 200, payload: '{"accepted":N}' }`,
 *   the only success POST /flows has; `put` does nothing; expired rows are purged in the background.
 * test/plugins/app/idempotency-shared-store.test.ts plays this contract with the in-memory store.
 */
export interface IdempotencyStore {
  /**
   * What tells a request body from another, as the store keeps it: SHA-256 hex (body-hash.ts), the same in
   * every process, for stores whose keys outlive it or are shared; a store whose keys never leave the
   * process may use a cheaper secret fingerprint (MemoryIdempotencyStore). Required, so that a store
   * wrapping another cannot drop it and hand it hashes of another kind.
   */
  bodyHash(body: unknown): string;
  /**
   * The recorded outcome for `key`, unless none was recorded or it has expired. `now` (epoch ms): the
   * caller's reading of the clock, when it has one, for a store that keeps time itself (a database keeps its own).
   */
  get(key: string, now?: number): IdempotencyOutcome | undefined | Promise<IdempotencyOutcome | undefined>;
  /**
   * Records a completed request's outcome before its response is sent, at `now` (epoch ms, as for `get`).
   * A store that already wrote the ticket in the batch's transaction may do nothing here.
   */
  put(ticket: IdempotencyTicket, outcome: IdempotencyOutcome, now?: number): void | Promise<void>;
}
