import type pg from 'pg';
import type { Logger } from 'pino';
import type { FlowRecord } from '../../schemas/flow.js';
import type { LimitsReport, StoreLimits } from '../limits.js';
import { checkRetention, retentionStatus } from '../retention.js';
import { unavailable } from './errors.js';
import { RETENTION_LOCK } from './locks.js';

// A backward scan of the primary key's index (it leads with hour): one index page, however big the table.
const NEWEST_SQL = 'SELECT max(hour) AS newest FROM flow_totals';
// One chunk is one short transaction. Rows a writer holds are skipped (left for the next chunk or pass), so
// the deleter never waits for a writer, and a writer waits for at most one chunk.
const DELETE_CHUNK_SQL = `
DELETE FROM flow_totals WHERE ctid = ANY(ARRAY(
  SELECT ctid FROM flow_totals WHERE hour < $1 LIMIT $2 FOR UPDATE SKIP LOCKED
))`;

export interface PgRetentionOptions {
  pool: pg.Pool;
  log: Logger;
  /** RETENTION_HOURS. */
  hours: number;
  /** Time between deletion passes. */
  intervalMs?: number;
  /** Rows per DELETE. */
  chunkRows?: number;
  /** How long a read of the newest hour is trusted before it is read again. */
  newestTtlMs?: number;
  now?: () => number;
}

/**
 * RETENTION_HOURS in PostgreSQL. Batches holding an expired hour are refused, judged against the newest
 * hour in `flow_totals` (cached for `newestTtlMs`, and raised at once by this instance's own commits), so
 * another instance's newer hour is seen within that time. A background loop deletes the rows of expired
 * hours in chunks, on one instance at a time (a session advisory lock).
 */
export class PgRetention implements StoreLimits {
  readonly #o: Required<Omit<PgRetentionOptions, 'pool' | 'log'>>;
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  #newest = -1;
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<number> | undefined;
  #deleted = 0;
  #timer: NodeJS.Timeout | undefined;
  #passing: Promise<unknown> = Promise.resolve();
  #running = false;
  #closing = false;
  /** Checks in flight: close() waits for them, so their batches reach the group commit before it drains. */
  readonly #checking = new Set<Promise<void>>();

  constructor({
    pool,
    log,
    hours,
    intervalMs = 60_000,
    chunkRows = 5000,
    newestTtlMs = 1000,
    now = Date.now,
  }: PgRetentionOptions) {
    this.#pool = pool;
    this.#log = log;
    this.#o = { hours, intervalMs, chunkRows, newestTtlMs, now };
  }

  /** Throws HourExpiredError for a batch holding an expired hour; returns the newest hour after it. */
  check(records: readonly FlowRecord[]): Promise<number> {
    const checked = this.#newestHour().then((newest) =>
      checkRetention(
        records.map((r) => r.hour),
        records.length,
        newest,
        this.#o.hours,
      ),
    );
    const settled = checked.then(
      () => {},
      () => {},
    );
    this.#checking.add(settled);
    settled.finally(() => this.#checking.delete(settled));
    return checked;
  }

  /** A batch checked with `check` committed: its hours are in the table now. */
  committed(newest: number): void {
    if (newest > this.#newest) this.#newest = newest;
  }

  /** Starts the deletion loop: a pass now, then one every `intervalMs`, never two at once. */
  start(): void {
    const pass = () => {
      if (this.#running) return;
      this.#running = true;
      this.#passing = this.purge()
        .catch((err: unknown) => {
          this.#log.warn({ err }, 'retention: deleting expired rows failed; trying again at the next pass');
        })
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
   * how many. Resolves with 0 at once while another instance holds the lock.
   */
  async purge(): Promise<number> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [RETENTION_LOCK]);
      if (!rows[0].got) return 0;
      try {
        return await this.#deleteExpired(client);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]);
      }
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  limits(): LimitsReport {
    return { retention: retentionStatus(this.#o.hours, this.#newest, this.#deleted) };
  }

  /** Stops the loop (a pass under way stops after its current chunk) and waits for the checks in flight. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    await Promise.all([this.#passing, ...this.#checking]);
  }

  async #deleteExpired(client: pg.PoolClient): Promise<number> {
    const { rows } = await client.query<{ newest: number | null }>(NEWEST_SQL);
    this.committed(rows[0].newest ?? -1);
    const oldestKept = this.#newest - this.#o.hours;
    const { chunkRows, now } = this.#o;
    const started = now();
    let lastLog = started;
    let total = 0;
    while (oldestKept > 0 && !this.#closing) {
      const { rowCount } = await client.query(DELETE_CHUNK_SQL, [oldestKept, chunkRows]);
      const deleted = rowCount ?? 0;
      total += deleted;
      this.#deleted += deleted;
      if (deleted < chunkRows) break;
      if (now() - lastLog >= 10_000) {
        lastLog = now();
        this.#log.info({ rows: total, oldestKept }, 'retention: deleting the rows of expired hours');
      }
    }
    if (total > 0) {
      this.#log.info({ rows: total, oldestKept, ms: now() - started }, 'retention: deleted the rows of expired hours');
    }
    return total;
  }

  /** The newest hour, read again once the last read is older than `newestTtlMs`; concurrent callers share a read. */
  async #newestHour(): Promise<number> {
    if (this.#o.now() - this.#readAt < this.#o.newestTtlMs) return this.#newest;
    this.#reading ??= this.#readNewest().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #readNewest(): Promise<number> {
    const startedAt = this.#o.now();
    try {
      const { rows } = await this.#pool.query<{ newest: number | null }>(NEWEST_SQL);
      this.committed(rows[0].newest ?? -1);
      this.#readAt = startedAt;
      return this.#newest;
    } catch (err) {
      throw unavailable(err, 'reading the newest hour');
    }
  }
}
