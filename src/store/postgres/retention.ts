import type pg from 'pg';
import type { Logger } from 'pino';
import type { FlowRecord } from '../../schemas/flow.js';
import type { LimitsReport, StoreLimits } from '../limits.js';
import { checkRetention, retentionStatus } from '../retention.js';
import { unavailable } from './errors.js';
import { ExpiredRows } from './expired-rows.js';
import { StoreGuard } from './guard.js';

// A backward scan of the primary key's index (it leads with hour): one index page, however big the table.
const NEWEST_SQL = 'SELECT max(hour) AS newest FROM flow_totals';

export interface PgRetentionOptions {
  pool: pg.Pool;
  log: Logger;
  /** The store's circuit breaker: while the database is away, a batch's check fails at once (a breaker of its own when unset). */
  guard?: StoreGuard;
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
 * another instance's newer hour is seen within that time. The rows of expired hours are deleted in the
 * background (ExpiredRows).
 */
export class PgRetention implements StoreLimits {
  readonly #pool: pg.Pool;
  readonly #guard: StoreGuard;
  readonly #hours: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #rows: ExpiredRows;
  #newest = -1;
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<number> | undefined;
  /** Checks in flight: close() waits for them, so their batches reach the group commit before it drains. */
  readonly #checking = new Set<Promise<void>>();

  constructor({
    pool,
    log,
    guard = new StoreGuard(log),
    hours,
    intervalMs = 60_000,
    chunkRows = 5000,
    newestTtlMs = 1000,
    now = Date.now,
  }: PgRetentionOptions) {
    this.#pool = pool;
    this.#guard = guard;
    this.#hours = hours;
    this.#ttlMs = newestTtlMs;
    this.#now = now;
    const oldestHourKept = async (client: pg.PoolClient) => {
      const { rows } = await client.query<{ newest: number | null }>(NEWEST_SQL);
      this.committed(rows[0].newest ?? -1);
      return this.#newest - hours;
    };
    this.#rows = new ExpiredRows({ pool, log, guard, oldestHourKept, intervalMs, chunkRows, now });
  }

  /** Throws HourExpiredError for a batch holding an expired hour; returns the newest hour after it. */
  check(records: readonly FlowRecord[]): Promise<number> {
    const checked = this.#newestHour().then((newest) =>
      checkRetention(
        records.map((r) => r.hour),
        records.length,
        newest,
        this.#hours,
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

  /** Starts deleting expired rows in the background. */
  start(): void {
    this.#rows.start();
  }

  /** One deletion pass now; resolves with the rows deleted (0 while another instance runs one). */
  purge(): Promise<number> {
    return this.#rows.purge();
  }

  limits(): LimitsReport {
    return { retention: retentionStatus(this.#hours, this.#newest, this.#rows.deleted) };
  }

  /** Stops the deletion loop and waits for the checks in flight. */
  async close(): Promise<void> {
    await Promise.all([this.#rows.close(), ...this.#checking]);
  }

  /** The newest hour, read again once the last read is older than `newestTtlMs`; concurrent callers share a read. */
  async #newestHour(): Promise<number> {
    if (this.#now() - this.#readAt < this.#ttlMs) return this.#newest;
    this.#reading ??= this.#readNewest().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #readNewest(): Promise<number> {
    const startedAt = this.#now();
    try {
      const { rows } = await this.#guard.once(() => this.#pool.query<{ newest: number | null }>(NEWEST_SQL));
      this.committed(rows[0].newest ?? -1);
      this.#readAt = startedAt;
      return this.#newest;
    } catch (err) {
      throw unavailable(err, 'reading the newest hour');
    }
  }
}
