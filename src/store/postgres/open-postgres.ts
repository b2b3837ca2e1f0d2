import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { CountsHistory } from '../../counts/counts-history.js';
import type { StoreBackend } from '../flow-store.js';
import { type ClusterCounterOptions, ClusterWindowCounter } from './cluster-counter.js';
import { PgCountsHistory } from './counts-history.js';
import { createPool } from './pool.js';
import { PostgresFlowStore, type PostgresStoreOptions } from './postgres-store.js';

export type PostgresConfig = Pick<
  Config,
  | 'DATABASE_URL'
  | 'PG_POOL_SIZE'
  | 'PG_TIMEOUT_MS'
  | 'ROTATION_INTERVAL_MS'
  | 'INSTANCE_ID'
  | 'RETENTION_HOURS'
  | 'COUNTS_RETENTION_HOURS'
>;

/** The PostgreSQL backend (`INMEMORY=false`) on a pool configured from the environment. */
export function openPostgres(config: PostgresConfig, log: Logger): ReturnType<typeof openPostgresBackend> {
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: config.PG_POOL_SIZE,
    timeoutMs: config.PG_TIMEOUT_MS,
    onIdleError: (err) => log.warn({ err }, 'idle database connection failed; the pool opens a new one when needed'),
  });
  return openPostgresBackend({
    pool,
    log,
    intervalMs: config.ROTATION_INTERVAL_MS,
    instance: config.INSTANCE_ID,
    // Writers leave connections for reads, the minute counter and Idempotency-Key lookups.
    writeLanes: Math.max(1, Math.min(4, config.PG_POOL_SIZE - 2)),
    retentionHours: config.RETENTION_HOURS,
    countsRetentionHours: config.COUNTS_RETENTION_HOURS,
  });
}

export interface PostgresBackendOptions extends PostgresStoreOptions {
  /** Length of a minute-count window. */
  intervalMs: number;
  /** The minute counter's bounds; the defaults suit production. */
  counting?: Pick<ClusterCounterOptions, 'spillKeys' | 'staleAfterMs'>;
  /** COUNTS_RETENTION_HOURS: how long published minute counts are kept for GET /counts. */
  countsRetentionHours?: number;
}

/**
 * The store with its schema applied, the cluster-wide minute counter (joined to the cluster and fed by
 * the store's commits), and the Idempotency-Keys, group commits and breaker the store reports. Tests and
 * benchmarks call it with a pool of their own.
 */
export async function openPostgresBackend(
  options: PostgresBackendOptions,
): Promise<StoreBackend & { store: PostgresFlowStore; counter: ClusterWindowCounter; countsHistory: CountsHistory }> {
  const store = await PostgresFlowStore.open(options);
  const { pool, log, intervalMs, now, counting } = options;
  const counter = await ClusterWindowCounter.join({
    ...counting,
    pool,
    log,
    intervalMs,
    now,
    instance: store.instance,
    guard: store.guard,
  });
  store.observeBatches((batches) => counter.record(batches));
  return {
    store,
    counter,
    idempotency: store.idempotency,
    observeCommits: (listener) => store.observeCommits(listener),
    breakerState: () => store.guard.state,
    limits: store.retention,
    countsHistory: new PgCountsHistory(pool, store.guard, log, options.countsRetentionHours ?? 24),
  };
}
