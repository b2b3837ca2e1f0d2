import { randomUUID } from 'node:crypto';
import { ExponentialBackoff, handleWhen, type IPolicy, retry } from 'cockatiel';
import type pg from 'pg';
import type { Logger } from 'pino';
import { CommitUnknownError, TotalOverflowError } from '../errors.js';
import type { FlowRecord, FlowTotal } from '../schemas/flow.js';
import type { FlowStore } from './flow-store.js';
import { GroupCommitter, type GroupItem } from './group-commit.js';
import { mergeFlows, type PreparedBatch, prepareBatch, type UpsertColumns } from './pg-batch.js';
import { isTransient, RETRY_AFTER_SECONDS, unavailable } from './pg-errors.js';
import { minuteColumns } from './pg-minute-rows.js';
import { applySchema } from './pg-pool.js';
import { readHour } from './pg-reader.js';
import { writeJob, writeOnce } from './pg-writer.js';

export interface PostgresStoreOptions {
  pool: pg.Pool;
  log: Logger;
  /** Length of a minute-count window; each batch's keys are filed under the window it arrived in. */
  intervalMs: number;
  now?: () => number;
  /** Most records merged into one transaction. */
  maxGroupRecords?: number;
  /** Rows fetched per round trip when reading an hour. */
  readPageSize?: number;
}

/**
 * Totals in PostgreSQL. Concurrent batches are merged into one upsert transaction (group commit); a
 * caller's promise resolves only after the transaction holding its batch has committed.
 */
export class PostgresFlowStore implements FlowStore {
  /** Identifies this process's rows in the shared per-minute stats. */
  readonly instance = randomUUID();
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #pageSize: number;
  readonly #committer: GroupCommitter<PreparedBatch>;
  // Serialization failures, deadlocks and lost connections get a few more tries, with backoff, before a 503.
  readonly #retry: IPolicy = retry(handleWhen(isTransient), {
    maxAttempts: 5,
    backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }),
  });

  constructor({
    pool,
    log,
    intervalMs,
    now = Date.now,
    // Large enough to merge many 1000-record batches, small enough to commit well within PG_TIMEOUT_MS.
    maxGroupRecords = 20_000,
    readPageSize = 5000,
  }: PostgresStoreOptions) {
    this.#pool = pool;
    this.#log = log;
    this.#intervalMs = intervalMs;
    this.#now = now;
    this.#pageSize = readPageSize;
    this.#committer = new GroupCommitter((group) => this.#flush(group), maxGroupRecords);
  }

  /** Creates the schema when missing (retrying while the database is still starting) and returns the store. */
  static async open(options: PostgresStoreOptions): Promise<PostgresFlowStore> {
    const store = new PostgresFlowStore(options);
    await store.#retry.execute(() => applySchema(options.pool));
    return store;
  }

  async ingest(records: readonly FlowRecord[]): Promise<void> {
    if (records.length === 0) return;
    const minute = Math.floor(this.#now() / this.#intervalMs) * this.#intervalMs;
    await this.#committer.submit(prepareBatch(records, minute), records.length);
  }

  async flowsForHour(hour: number): Promise<FlowTotal[]> {
    const all: FlowTotal[] = [];
    for await (const page of await this.streamFlowsForHour(hour)) for (const flow of page) all.push(flow);
    return all;
  }

  async streamFlowsForHour(hour: number): Promise<AsyncIterable<FlowTotal[]>> {
    try {
      return await this.#retry.execute(() => readHour(this.#pool, hour, this.#pageSize));
    } catch (err) {
      this.#log.warn({ err, hour }, 'database read failed after retries');
      throw unavailable(err, 'reading flows');
    }
  }

  async ping(): Promise<void> {
    try {
      await this.#pool.query('SELECT 1');
    } catch (err) {
      throw unavailable(err, 'checking readiness');
    }
  }

  async flowCount(): Promise<number> {
    try {
      const { rows } = await this.#pool.query<{ n: number }>('SELECT count(*) AS n FROM flow_totals');
      return rows[0].n;
    } catch (err) {
      throw unavailable(err, 'counting flows');
    }
  }

  /** Waits for queued batches to commit (or fail), then closes the pool. */
  async close(): Promise<void> {
    await this.#committer.drained();
    await this.#pool.end();
  }

  async #flush(group: GroupItem<PreparedBatch>[]): Promise<void> {
    const batches = group.map((item) => item.value);
    const merged = mergeFlows(batches);
    if (merged) {
      try {
        await this.#write(merged, batches);
        for (const item of group) item.resolve();
        return;
      } catch (err) {
        if (!(err instanceof TotalOverflowError) || group.length === 1) {
          for (const item of group) item.reject(err);
          return;
        }
        // Fall through: one batch overflows a total, and must not take the innocent ones down with it.
      }
    }
    this.#log.debug({ batches: group.length }, 'group would overflow a total; writing its batches one by one');
    for (const item of group) {
      try {
        // A single prepared batch always merges: prepareBatch already rejected its own overflows.
        await this.#write(mergeFlows([item.value]) as UpsertColumns, [item.value]);
        item.resolve();
      } catch (err) {
        item.reject(err);
      }
    }
  }

  async #write(flows: UpsertColumns, batches: PreparedBatch[]): Promise<void> {
    const job = writeJob(flows, minuteColumns(batches));
    // Once any attempt lost its connection after sending COMMIT, "nothing was applied" is no longer
    // known, even if the last attempt failed before committing.
    let outcomeUnknown = false;
    try {
      await this.#retry.execute(async () => {
        try {
          await writeOnce(this.#pool, job, this.#intervalMs, this.instance);
        } catch (err) {
          if ((err as { commitOutcomeUnknown?: boolean }).commitOutcomeUnknown) outcomeUnknown = true;
          throw err;
        }
      });
    } catch (err) {
      this.#log.warn({ err, outcomeUnknown }, 'database write failed after retries');
      if (outcomeUnknown && isTransient(err)) {
        throw Object.assign(new CommitUnknownError('the database went away'), {
          headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
        });
      }
      throw unavailable(err, 'writing flows');
    }
  }
}
