import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { CountsHistory } from '../../counts/counts-history.js';
import type { StoreBackend } from '../flow-store.js';
import { ClusterWindowCounter } from './cluster-counter.js';
import { PgCountsHistory } from './counts-history.js';
import { createPool } from './pool.js';
import { PostgresFlowStore, type PostgresStoreOptions } from './postgres-store.js';

export type PostgresConfig = Pick<
  Config,
  'DATABASE_URL' | 'PG_POOL_SIZE' | 'PG_TIMEOUT_MS' | 'ROTATION_INTERVAL_MS' | 'COUNTS_RETENTION_HOURS'
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
    countsRetentionHours: config.COUNTS_RETENTION_HOURS,
  });
}

/**
 * The store with its schema applied, the cluster-wide minute counter, and the Idempotency-Keys and
 * group commits the store reports. Tests and benchmarks call it with a pool of their own.
 */
export async function openPostgresBackend(
  options: PostgresStoreOptions & { countsRetentionHours?: number },
): Promise<StoreBackend & { store: PostgresFlowStore; countsHistory: CountsHistory }> {
  const store = await PostgresFlowStore.open(options);
  return {
    store,
    counter: new ClusterWindowCounter(options.pool, options.intervalMs, options.log),
    idempotency: store.idempotency,
    observeCommits: (listener) => store.observeCommits(listener),
    countsHistory: new PgCountsHistory(options.pool, options.countsRetentionHours ?? 24),
  };
}
