import { randomInt } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { type StoreGuard, warnUnlessRefused } from './guard.js';
import { RETENTION_LOCK } from './locks.js';
import { releasing } from './released-client.js';
import { COUNT_SHARDS } from './write-statements.js';

// One chunk is one short transaction. Rows a writer holds are skipped (left for the next chunk or pass), so
// the deleter never waits for a writer's totals, and a writer waits for at most one chunk. The rows deleted
// are subtracted from a shard of the flow count (flow_count_shards) in the same statement, after them, as
// the writers add theirs, so the count stays exact without a scan.
const DELETE_CHUNK_SQL = `
WITH gone AS (
  DELETE FROM flow_totals WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM flow_totals WHERE hour < $1 LIMIT $2 FOR UPDATE SKIP LOCKED
  ))
  RETURNING 1
), counted AS (
  INSERT INTO flow_count_shards AS c (shard, flows)
  SELECT $3, -count(*) FROM gone HAVING count(*) > 0
  ON CONFLICT (shard) DO UPDATE SET flows = c.flows + EXCLUDED.flows
)
SELECT count(*)::int AS deleted FROM gone`;

export interface ExpiredRowsOptions {
  pool: pg.Pool;
  log: Logger;
  /** The store's circuit breaker: a pass does not try to connect while it is open. */
  guard: StoreGuard;
  /** Reads the newest hour (and shares it with the caller); rows of the hours before the oldest kept are deleted. */
  oldestHourKept: (client: pg.PoolClient) => Promise<number>;
  /** Time between passes. */
  intervalMs: number;
  /** Rows per DELETE. */
  chunkRows: number;
  now: () => number;
}

/**
 * The background loop of RETENTION_HOURS in PostgreSQL: deletes the rows of expired hours in chunks, on one
 * instance at a time (a session advisory lock), logging its progress.
 */
export class ExpiredRows {
  readonly #o: ExpiredRowsOptions;
  /** Rows this instance deleted since start-up. */
  deleted = 0;
  #timer: NodeJS.Timeout | undefined;
  #passing: Promise<unknown> = Promise.resolve();
  #running = false;
  #closing = false;

  constructor(options: ExpiredRowsOptions) {
    this.#o = options;
  }

  /** A pass now, then one every `intervalMs`, never two at once. */
  start(): void {
    const pass = () => {
      if (this.#running) return;
      this.#running = true;
      this.#passing = this.purge()
        .catch((err: unknown) =>
          warnUnlessRefused(this.#o.log, err, 'retention: deleting expired rows failed; trying again at the next pass'),
        )
        .finally(() => {
          this.#running = false;
        });
    };
    this.#timer = setInterval(pass, this.#o.intervalMs);
    this.#timer.unref();
    pass();
  }

  /**
   * One pass: deletes the rows of every hour before the oldest hour kept, chunk by chunk, and resolves with
   * how many. Resolves with 0 at once while another instance holds the lock. Only connecting goes through
   * the breaker: a pass may take minutes, and as the breaker's test call it would hold it half-open.
   */
  async purge(): Promise<number> {
    const client = await this.#o.guard.once(() => this.#o.pool.connect());
    return releasing(client, async () => {
      const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [RETENTION_LOCK]);
      if (!rows[0].got) return 0;
      try {
        return await this.#deleteBefore(client, await this.#o.oldestHourKept(client));
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]);
      }
    });
  }

  /** Stops the loop; a pass under way stops after its current chunk. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    await this.#passing;
  }

  async #deleteBefore(client: pg.PoolClient, oldestKept: number): Promise<number> {
    const { chunkRows, now, log } = this.#o;
    const started = now();
    let lastLog = started;
    let total = 0;
    while (oldestKept > 0 && !this.#closing) {
      const { rows } = await client.query<{ deleted: number }>(DELETE_CHUNK_SQL, [
        oldestKept,
        chunkRows,
        randomInt(COUNT_SHARDS),
      ]);
      const deleted = rows[0].deleted;
      total += deleted;
      this.deleted += deleted;
      if (deleted < chunkRows) break;
      if (now() - lastLog >= 10_000) {
        lastLog = now();
        log.info({ rows: total, oldestKept }, 'retention: deleting the rows of expired hours');
      }
    }
    if (total > 0)
      log.info({ rows: total, oldestKept, ms: now() - started }, 'retention: deleted the rows of expired hours');
    return total;
  }
}
