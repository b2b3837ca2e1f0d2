import type pg from 'pg';
import type { Logger } from 'pino';
import { bodyHash } from '../../idempotency/body-hash.js';
import {
  acceptedOutcome,
  type IdempotencyOutcome,
  type IdempotencyStore,
} from '../../idempotency/idempotency-store.js';
import type { PreparedBatch } from './batch.js';
import { unavailable } from './errors.js';
import { type StoreGuard, warnUnlessRefused } from './guard.js';

// Claims every ticket of a write transaction in one statement, in key order, so two transactions claiming
// the same keys wait for each other instead of deadlocking. A conflicting row that is still live, whether
// committed or being written by another transaction (the insert waits for that one to end), is left alone
// and not returned: its batch is refused. An expired row is taken over. No error is raised either way.
// The job's commit marker ($5) is inserted by the same statement (see write-statements.ts).
const CLAIM_SQL = `
WITH marker AS (INSERT INTO flow_commits (id) VALUES ($5))
INSERT INTO flow_idempotency_keys AS k (key, body_hash, accepted, expires_at)
SELECT u.key, u.body_hash, u.accepted, to_timestamp(u.expires_ms / 1000.0)
FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[]) AS u(key, body_hash, accepted, expires_ms)
ORDER BY u.key
ON CONFLICT (key) DO UPDATE
SET body_hash = EXCLUDED.body_hash, accepted = EXCLUDED.accepted, expires_at = EXCLUDED.expires_at
WHERE k.expires_at <= now()
RETURNING k.key`;

// Expiry is judged by the database's clock, one clock for every instance.
const GET_SQL = 'SELECT body_hash, accepted FROM flow_idempotency_keys WHERE key = $1 AND expires_at > now()';

// Bounded deletes, skipping rows another instance is purging or a writer is taking over.
const PURGE_SQL = `
DELETE FROM flow_idempotency_keys WHERE key IN (
  SELECT key FROM flow_idempotency_keys WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED
)`;
const PURGE_LIMIT = 10_000;

/** The tickets of a write transaction's batches, as columns for `unnest`. */
export interface TicketColumns {
  key: string[];
  bodyHash: string[];
  accepted: number[];
  expiresAt: number[];
}

export function ticketColumns(batches: readonly PreparedBatch[]): TicketColumns | undefined {
  const cols: TicketColumns = { key: [], bodyHash: [], accepted: [], expiresAt: [] };
  for (const { ticket, records } of batches) {
    if (!ticket) continue;
    cols.key.push(ticket.key);
    cols.bodyHash.push(ticket.bodyHash);
    cols.accepted.push(records);
    cols.expiresAt.push(Math.round(ticket.expiresAt));
  }
  return cols.key.length > 0 ? cols : undefined;
}

/**
 * Inserts the tickets and the job's commit marker in the caller's open transaction; resolves with the
 * keys it refused (live elsewhere).
 */
export async function claimKeys(client: pg.PoolClient, tickets: TicketColumns, commitId: string): Promise<string[]> {
  const { rows } = await client.query<{ key: string }>(CLAIM_SQL, [
    tickets.key,
    tickets.bodyHash,
    tickets.accepted,
    tickets.expiresAt,
    commitId,
  ]);
  const claimed = new Set(rows.map((r) => r.key));
  return tickets.key.filter((key) => !claimed.has(key));
}

/**
 * The committed keys, read for the Idempotency-Key plugin. Writing happens in the batch's transaction
 * (see claimKeys), so `put` has nothing left to do. Expired rows are purged on a timer.
 */
export class PgIdempotencyStore implements IdempotencyStore {
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  readonly #guard: StoreGuard;
  readonly #timer: NodeJS.Timeout;
  #purging: Promise<unknown> = Promise.resolve();
  /** SHA-256: rows are shared by every instance. */
  readonly bodyHash = bodyHash;

  constructor(pool: pg.Pool, log: Logger, guard: StoreGuard, purgeIntervalMs: number) {
    this.#pool = pool;
    this.#log = log;
    this.#guard = guard;
    this.#timer = setInterval(() => {
      this.#purging = this.purgeExpired().catch((err: unknown) => {
        warnUnlessRefused(this.#log, err, 'purging expired idempotency keys failed; trying again later');
      });
    }, purgeIntervalMs);
    // Purging is housekeeping: it never keeps the process alive.
    this.#timer.unref();
  }

  async get(key: string): Promise<IdempotencyOutcome | undefined> {
    let rows: { body_hash: string; accepted: number }[];
    try {
      ({ rows } = await this.#guard.once(() =>
        this.#pool.query<{ body_hash: string; accepted: number }>(GET_SQL, [key]),
      ));
    } catch (err) {
      throw unavailable(err, 'reading an Idempotency-Key');
    }
    if (!rows[0]) return undefined;
    // The one success POST /flows has, serialized as its route does.
    return acceptedOutcome(rows[0].body_hash, rows[0].accepted);
  }

  async put(): Promise<void> {}

  /** Deletes expired keys, through the store's breaker; resolves with how many. */
  async purgeExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.#guard.once(() => this.#pool.query(PURGE_SQL, [PURGE_LIMIT]));
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < PURGE_LIMIT) return total;
    }
  }

  /** Stops the purge timer and waits for a purge under way, so the pool can be closed after it. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#purging;
  }
}
