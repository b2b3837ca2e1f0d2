import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { MinuteWindow } from '../window/minute-window.js';
import type { StoreBackend } from './flow-store.js';
import { type DurableConfig, openDurableMemory } from './memory/durability/open-durable.js';
import { MemoryFlowStore } from './memory/memory-store.js';
import { openPostgres, type PostgresConfig } from './postgres/open-postgres.js';

export type StoreConfig = Pick<Config, 'INMEMORY' | 'DATA_DIR'> & PostgresConfig & Omit<DurableConfig, 'DATA_DIR'>;

/**
 * The in-memory store with this process's minute window (`INMEMORY=true`), kept in DATA_DIR when set;
 * or the PostgreSQL backend.
 */
export async function openStore(config: StoreConfig, log: Logger): Promise<StoreBackend> {
  if (!config.INMEMORY) return openPostgres(config, log);
  if (config.DATA_DIR) return openDurableMemory({ ...config, DATA_DIR: config.DATA_DIR }, log);
  const window = new MinuteWindow();
  return { store: new MemoryFlowStore(window), counter: window };
}
