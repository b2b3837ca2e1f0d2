import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { CountsHistory } from '../counts/counts-history.js';
import { CountsRing, ringCapacity } from '../counts/counts-ring.js';
import { MinuteWindow } from '../window/minute-window.js';
import type { StoreBackend } from './flow-store.js';
import { defaultBounds } from './memory/capacity.js';
import { MemoryFlowStore } from './memory/memory-store.js';
import { openPostgres, type PostgresConfig } from './postgres/open-postgres.js';

export type StoreConfig = Pick<
  Config,
  'INMEMORY' | 'RETENTION_HOURS' | 'MAX_FLOWS' | 'MAX_NAME_BYTES' | 'COUNTS_RETENTION_HOURS'
> &
  PostgresConfig;

/** The in-memory store with this process's minute window (`INMEMORY=true`), or the PostgreSQL backend. */
export async function openStore(
  config: StoreConfig,
  log: Logger,
): Promise<StoreBackend & { countsHistory: CountsHistory }> {
  if (!config.INMEMORY) return openPostgres(config, log);
  const window = new MinuteWindow();
  const defaults = defaultBounds();
  const options = {
    retentionHours: config.RETENTION_HOURS,
    maxFlows: config.MAX_FLOWS ?? defaults.maxFlows,
    maxNameBytes: config.MAX_NAME_BYTES ?? defaults.maxNameBytes,
  };
  log.info({ ...options, heapSizeLimit: defaults.heapSizeLimit }, 'in-memory store bounds');
  const store = new MemoryFlowStore(window, { ...options, log });
  const { COUNTS_RETENTION_HOURS: hours, ROTATION_INTERVAL_MS: intervalMs } = config;
  const countsHistory = new CountsRing(ringCapacity(hours, intervalMs), hours);
  return { store, counter: window, limits: store, countsHistory };
}
