import { randomUUID } from 'node:crypto';
import { ExponentialBackoff, handleWhen, type IPolicy, retry } from 'cockatiel';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { HourSummary, TopGroups, TopQuery } from '../../queries/flow-queries.js';
import type { FlowRecord, FlowTotal } from '../../schemas/flow.js';
import type { CommitStats, FlowStore, IngestOptions } from '../flow-store.js';
import { type PreparedBatch, prepareBatch } from './batch.js';
import { isTransient, unavailable } from './errors.js';
import { PgFlowQueries } from './flow-queries.js';
import { GroupCommitter } from './group-commit.js';
import { GroupWriter } from './group-writer.js';
import { PgIdempotencyStore } from './idempotency-keys.js';
import { readHour } from './reader.js';
import { applySchema } from './schema.js';

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
  /** How often expired Idempotency-Keys are deleted. */
  idempotencyPurgeMs?: number;
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
  readonly #commitListeners: ((commit: CommitStats) => void)[] = [];
  readonly #queries: PgFlowQueries;
  /**
   * Idempotency-Keys, written with their batches: they hold across instances and restarts. Not part of
   * FlowStore: openPostgresBackend hands it to the app as `StoreBackend.idempotency`.
   */
  readonly idempotency: PgIdempotencyStore;
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
    idempotencyPurgeMs = 60_000,
  }: PostgresStoreOptions) {
    this.#pool = pool;
    this.#log = log;
    this.#intervalMs = intervalMs;
    this.#now = now;
    this.#pageSize = readPageSize;
    const writer = new GroupWriter({
      pool,
      log,
      intervalMs,
      instance: this.instance,
      retry: this.#retry,
      onCommit: (commit) => {
        for (const listener of this.#commitListeners) listener(commit);
      },
    });
    this.#committer = new GroupCommitter((group) => writer.flush(group), maxGroupRecords);
    this.idempotency = new PgIdempotencyStore(pool, log, idempotencyPurgeMs);
    this.#queries = new PgFlowQueries(pool, log);
  }

  /** Creates the schema when missing (retrying while the database is still starting) and returns the store. */
  static async open(options: PostgresStoreOptions): Promise<PostgresFlowStore> {
    const store = new PostgresFlowStore(options);
    await store.#retry.execute(() => applySchema(options.pool));
    return store;
  }

  async ingest(records: readonly FlowRecord[], options: IngestOptions = {}): Promise<void> {
    const ticket = options.idempotency;
    // An empty batch changes nothing, but its key is still recorded, so it holds like any other.
    if (records.length === 0 && !ticket) return;
    const minute = Math.floor(this.#now() / this.#intervalMs) * this.#intervalMs;
    await this.#committer.submit(prepareBatch(records, minute, ticket), records.length);
  }

  /** Each committed group, for the metrics (handed to the app as `StoreBackend.observeCommits`). */
  observeCommits(listener: (commit: CommitStats) => void): void {
    this.#commitListeners.push(listener);
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

  hourSummaries(from: number, to: number): Promise<HourSummary[]> {
    return this.#queries.hourSummaries(from, to);
  }

  topFlows(query: TopQuery): Promise<TopGroups> {
    return this.#queries.topFlows(query);
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
    await this.idempotency.close();
    await this.#pool.end();
  }
}
