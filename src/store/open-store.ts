import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { CountsHistory } from '../counts/counts-history.js';
import { CountsRing, ringCapacity } from '../counts/counts-ring.js';
import { MinuteWindow } from '../window/minute-window.js';
import type { StoreBackend } from './flow-store.js';
import { defaultBounds } from './memory/capacity.js';
import { type DurableConfig, openDurableMemory } from './memory/durability/open-durable.js';
import { MemoryFlowStore } from './memory/memory-store.js';
import { openPostgres, type PostgresConfig } from './postgres/open-postgres.js';

export type StoreConfig = Pick<
  Config,
  'INMEMORY' | 'RETENTION_HOURS' | 'MAX_FLOWS' | 'MAX_NAME_BYTES' | 'COUNTS_RETENTION_HOURS' | 'DATA_DIR'
> &
  PostgresConfig &
  Omit<DurableConfig, 'DATA_DIR'>;

/**
 * The in-memory store with this process's minute window (`INMEMORY=true`), kept in DATA_DIR when set;
 * or the PostgreSQL backend.
 */
export async function openStore(
  config: StoreConfig,
  log: Logger,
): Promise<StoreBackend & { countsHistory: CountsHistory }> {
  if (!config.INMEMORY) return openPostgres(config, log);
  const defaults = defaultBounds();
  const options = {
    retentionHours: config.RETENTION_HOURS,
    maxFlows: config.MAX_FLOWS ?? defaults.maxFlows,
    maxNameBytes: config.MAX_NAME_BYTES ?? defaults.maxNameBytes,
  };
  log.info({ ...options, heapSizeLimit: defaults.heapSizeLimit }, 'in-memory store bounds');
  const { COUNTS_RETENTION_HOURS: hours, ROTATION_INTERVAL_MS: intervalMs } = config;
  const countsHistory = new CountsRing(ringCapacity(hours, intervalMs), hours);
  if (config.DATA_DIR) {
    const durable = await openDurableMemory({ ...config, DATA_DIR: config.DATA_DIR }, log, options);
    return { ...durable, countsHistory };
  }
  const window = new MinuteWindow();
  const store = new MemoryFlowStore(window, { ...options, log });
  return { store, counter: window, limits: store, countsHistory };
}
