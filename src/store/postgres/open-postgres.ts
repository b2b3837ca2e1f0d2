import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { WindowCounter } from '../../window/window-counter.js';
import { ClusterWindowCounter } from './cluster-counter.js';
import { createPool } from './pool.js';
import { PostgresFlowStore } from './postgres-store.js';

export interface PersistentMode {
  store: PostgresFlowStore;
  /** Minute counts shared by every instance on the database. */
  counter: WindowCounter;
}

/** The PostgreSQL store (`INMEMORY=false`) with its schema applied, and the cluster-wide minute counter. */
export async function openPersistentMode(config: Config, log: Logger): Promise<PersistentMode> {
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: config.PG_POOL_SIZE,
    timeoutMs: config.PG_TIMEOUT_MS,
    onIdleError: (err) => log.warn({ err }, 'idle database connection failed; the pool opens a new one when needed'),
  });
  const intervalMs = config.ROTATION_INTERVAL_MS;
  const store = await PostgresFlowStore.open({ pool, log, intervalMs });
  return { store, counter: new ClusterWindowCounter(pool, intervalMs, log) };
}
