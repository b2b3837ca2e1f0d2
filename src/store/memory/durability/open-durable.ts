import type { Logger } from 'pino';
import type { Config } from '../../../config.js';
import { MinuteWindow } from '../../../window/minute-window.js';
import type { StoreBackend } from '../../flow-store.js';
import { MemoryFlowStore, type MemoryStoreOptions } from '../memory-store.js';
import { DurableKeys } from './durable-keys.js';
import { Journal } from './journal.js';
import { LogWriter } from './log-writer.js';
import { recover } from './recovery.js';
import { Snapshotter } from './snapshotter.js';

export type DurableConfig = Pick<
  Config,
  'SNAPSHOT_INTERVAL_MS' | 'SNAPSHOT_LOG_BYTES' | 'IDEMPOTENCY_MAX_KEYS' | 'IDEMPOTENCY_TTL_MS'
> & { DATA_DIR: string };

/**
 * The in-memory store kept in DATA_DIR: recovers the totals (snapshot, then log), then journals every
 * batch and takes snapshots. Idempotency-Keys are kept with the batches, so they survive restarts too.
 * `options` (retention, bounds) apply from the first batch after recovery on; recovery itself applies
 * what was acknowledged, then retention drops what it expires now.
 */
export async function openDurableMemory(
  config: DurableConfig,
  log: Logger,
  options: Omit<MemoryStoreOptions, 'durable' | 'log'> = {},
): Promise<StoreBackend & { store: MemoryFlowStore }> {
  const dir = config.DATA_DIR;
  const keys = new DurableKeys(config.IDEMPOTENCY_MAX_KEYS, config.IDEMPOTENCY_TTL_MS);
  const recovered = await recover(dir, keys, log);
  const { names, hours } = recovered;
  const writer = await LogWriter.open(dir, recovered.log.segments);
  // A crash between a snapshot and the removal of the segments it covers leaves them behind.
  await writer.deleteUpTo(recovered.snapshotLsn);
  const window = new MinuteWindow();
  const journal = new Journal({ hours, keys, window, writer, lastLsn: recovered.log.lastLsn, log });
  const store = new MemoryFlowStore(window, { ...options, log, durable: { names, hours, journal } });
  const snapshots = new Snapshotter({
    dir,
    hours,
    keys,
    journal,
    writer,
    log,
    lastLsn: recovered.snapshotLsn,
    intervalMs: config.SNAPSHOT_INTERVAL_MS,
    logBytes: config.SNAPSHOT_LOG_BYTES,
  });
  journal.onDurable = () => snapshots.onDurable();
  journal.onClose = async () => {
    await snapshots.stop();
    await writer.close();
  };
  // Hours retention dropped at start-up (RETENTION_HOURS is shorter than when they were accepted) are gone
  // for good only once no snapshot or log holds them: a later start with a longer retention would bring
  // them back.
  if (store.limits().retention?.expired_total) await snapshots.take(true);
  snapshots.start();
  return { store, counter: window, idempotency: keys, limits: store };
}
