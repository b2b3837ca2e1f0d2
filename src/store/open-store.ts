import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { CountsHistory } from '../counts/counts-history.js';
import { CountsRing, ringCapacity } from '../counts/counts-ring.js';
import { MinuteWindow } from '../window/minute-window.js';
import type { StoreBackend } from './flow-store.js';
import { MemoryFlowStore } from './memory/memory-store.js';
import { openPostgres, type PostgresConfig } from './postgres/open-postgres.js';

export type StoreConfig = Pick<Config, 'INMEMORY' | 'COUNTS_RETENTION_HOURS'> & PostgresConfig;

/** The in-memory store with this process's minute window (`INMEMORY=true`), or the PostgreSQL backend. */
export async function openStore(
  config: StoreConfig,
  log: Logger,
): Promise<StoreBackend & { countsHistory: CountsHistory }> {
  if (!config.INMEMORY) return openPostgres(config, log);
  const window = new MinuteWindow();
  const { COUNTS_RETENTION_HOURS: hours, ROTATION_INTERVAL_MS: intervalMs } = config;
  const countsHistory = new CountsRing(ringCapacity(hours, intervalMs), hours);
  return { store: new MemoryFlowStore(window), counter: window, countsHistory };
}
