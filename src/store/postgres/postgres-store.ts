import { randomInt, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { HourSummary, TopGroups, TopQuery } from '../../queries/flow-queries.js';
import type { FlowRecord, FlowTotal } from '../../schemas/flow.js';
import type { CommitStats, FlowStore, IngestOptions } from '../flow-store.js';
import { type PreparedBatch, prepareBatch } from './batch.js';
import { unavailable } from './errors.js';
import { PgFlowQueries } from './flow-queries.js';
import { GroupCommitter } from './group-commit.js';
import { GroupWriter } from './group-writer.js';
import { type GuardOptions, StoreGuard, warnUnlessRefused } from './guard.js';
import { PgIdempotencyStore } from './idempotency-keys.js';
import { readHour } from './reader.js';
import { PgRetention } from './retention.js';
import { applySchema } from './schema.js';
import { COUNT_SHARDS } from './write-statements.js';

export interface PostgresStoreOptions {
  pool: pg.Pool;
  log: Logger;
  /** This process's name in the shared tables (unique per process); a random one by default. */
  instance?: string;
  /** Most records merged into one transaction. */
  maxGroupRecords?: number;
  /** Write transactions one instance runs at once (each on its own connection). */
  writeLanes?: number;
  /** Rows fetched per round trip when reading an hour. */
  readPageSize?: number;
  /** How often expired Idempotency-Keys are deleted. */
  idempotencyPurgeMs?: number;
  /** Retries and circuit breaker; the defaults suit production. */
  guard?: GuardOptions;
  /** RETENTION_HOURS; unset keeps every hour. */
  retentionHours?: number;
  /** Time between passes deleting expired rows. */
  retentionIntervalMs?: number;
  /** The clock of retention and of the minute counter (tests). */
  now?: () => number;
}

const FLOW_COUNT_SQL = 'SELECT coalesce(sum(flows), 0)::text AS n FROM flow_count_shards';

/**
 * Totals in PostgreSQL. Concurrent batches are merged into upsert transactions (group commit), several
 * at once; a caller's promise resolves only after the transaction holding its batch has committed.
 * Every database call goes through one circuit breaker (guard.ts).
 */
export class PostgresFlowStore implements FlowStore {
  readonly instance: string;
  /** The retries and circuit breaker in front of the database, shared with the minute counter. */
  readonly guard: StoreGuard;
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  readonly #pageSize: number;
  readonly #committer: GroupCommitter<PreparedBatch>;
  readonly #commitListeners: ((commit: CommitStats) => void)[] = [];
  readonly #batchListeners: ((batches: readonly PreparedBatch[]) => void)[] = [];
  readonly #queries: PgFlowQueries;
  /**
   * Idempotency-Keys, written with their batches: they hold across instances and restarts. Not part of
   * FlowStore: openPostgresBackend hands it to the app as `StoreBackend.idempotency`.
   */
  readonly idempotency: PgIdempotencyStore;
  /** RETENTION_HOURS, when set; openPostgresBackend hands it to the app as `StoreBackend.limits`. */
  readonly retention: PgRetention | undefined;

  constructor({
    pool,
    log,
    instance = randomUUID(),
    // Large enough to merge many 1000-record batches, small enough to commit well within PG_TIMEOUT_MS.
    maxGroupRecords = 20_000,
    writeLanes = 4,
    readPageSize = 5000,
    idempotencyPurgeMs = 60_000,
    guard,
    retentionHours,
    retentionIntervalMs,
    now,
  }: PostgresStoreOptions) {
    this.instance = instance;
    this.#pool = pool;
    this.#log = log;
    this.#pageSize = readPageSize;
    this.guard = new StoreGuard(log, guard);
    // Each lane adds the flows it creates to a shard of its own; instances start at random shards.
    const firstShard = randomInt(COUNT_SHARDS);
    const writer = new GroupWriter({
      pool,
      log,
      guard: this.guard,
      shardOf: (lane) => (firstShard + lane) % COUNT_SHARDS,
      onCommit: (commit, batches) => {
        for (const listener of this.#batchListeners) listener(batches);
        for (const listener of this.#commitListeners) listener(commit);
      },
    });
    this.#committer = new GroupCommitter((group, lane) => writer.flush(group, lane), {
      maxGroupSize: maxGroupRecords,
      lanes: writeLanes,
      keysOf: (batch) => batch.flows.keys(),
    });
    this.idempotency = new PgIdempotencyStore(pool, log, this.guard, idempotencyPurgeMs);
    if (retentionHours !== undefined) {
      this.retention = new PgRetention({
        pool,
        log,
        guard: this.guard,
        hours: retentionHours,
        intervalMs: retentionIntervalMs,
        now,
      });
    }
    this.#queries = new PgFlowQueries(pool, log, this.guard);
  }

  /** Creates the schema when missing (retrying while the database is still starting) and returns the store. */
  static async open(options: PostgresStoreOptions): Promise<PostgresFlowStore> {
    const store = new PostgresFlowStore(options);
    await store.guard.retrying(() => applySchema(options.pool));
    store.retention?.start();
    return store;
  }

  async ingest(records: readonly FlowRecord[], options: IngestOptions = {}): Promise<void> {
    const ticket = options.idempotency;
    // An empty batch changes nothing, but its key is still recorded, so it holds like any other.
    if (records.length === 0 && !ticket) return;
    // No await without retention: close() relies on a batch being submitted in the same tick as ingest().
    const newest = this.retention ? await this.retention.check(records) : undefined;
    await this.#committer.submit(prepareBatch(records, ticket), records.length);
    if (newest !== undefined) this.retention?.committed(newest);
  }

  /** Each committed group, for the metrics (handed to the app as `StoreBackend.observeCommits`). */
  observeCommits(listener: (commit: CommitStats) => void): void {
    this.#commitListeners.push(listener);
  }

  /** The batches of each committed transaction, as soon as it has committed (for the minute counts). */
  observeBatches(listener: (batches: readonly PreparedBatch[]) => void): void {
    this.#batchListeners.push(listener);
  }

  async flowsForHour(hour: number): Promise<FlowTotal[]> {
    const all: FlowTotal[] = [];
    for await (const page of await this.streamFlowsForHour(hour)) for (const flow of page) all.push(flow);
    return all;
  }

  async streamFlowsForHour(hour: number): Promise<AsyncIterable<FlowTotal[]>> {
    try {
      return await this.guard.retrying(() => readHour(this.#pool, hour, this.#pageSize));
    } catch (err) {
      warnUnlessRefused(this.#log, err, 'database read failed', { hour });
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
      await this.guard.once(() => this.#pool.query('SELECT 1'));
    } catch (err) {
      throw unavailable(err, 'checking readiness');
    }
  }

  /** Exact, without scanning the totals: each write adds the flows it created to a shard of the count. */
  async flowCount(): Promise<number> {
    try {
      const { rows } = await this.guard.once(() => this.#pool.query<{ n: string }>(FLOW_COUNT_SQL));
      return Number(rows[0].n);
    } catch (err) {
      throw unavailable(err, 'counting flows');
    }
  }

  /** Waits for queued batches to commit (or fail), then closes the pool. */
  async close(): Promise<void> {
    // First: waits for the retention checks in flight, whose batches are submitted right after them.
    await this.retention?.close();
    await this.#committer.drained();
    await this.idempotency.close();
    await this.#pool.end();
  }
}
