import { constants } from 'node:fs';
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Hours } from '../hours.js';
import { Interner } from '../interner.js';
import { type LoggedBatch, renumbered } from './batch-codec.js';
import { DataDirError, parseDataFileName, partialSnapshotName, snapshotName } from './data-files.js';
import type { DurableKeys } from './durable-keys.js';
import { type ReplayedLog, replayLog } from './log-reader.js';
import { readSnapshotFile } from './snapshot-reader.js';

export interface Recovered {
  names: Interner;
  hours: Hours;
  log: ReplayedLog;
  /** LSN of the snapshot loaded (0: none). */
  snapshotLsn: number;
}

/** Replay counts records nowhere: the minute window needs no replay. */
const NO_WINDOW = { recordFlowId() {} };

/**
 * Rebuilds the tables from DATA_DIR: the newest snapshot, then every logged batch after it, applied as it
 * was acknowledged (no check is made again, so changed limits cannot refuse what was accepted), with the
 * hours retention dropped where it dropped them.
 * Idempotency-Keys go to `keys`. Throws DataDirError when what is on disk cannot be trusted.
 */
export async function recover(dir: string, keys: DurableKeys, log: Logger): Promise<Recovered> {
  if (endianness() !== 'LE') {
    throw new DataDirError('DATA_DIR needs a little-endian machine (its files are little-endian)');
  }
  // Without it the log writes would return before the data is on disk.
  if (!constants.O_DSYNC) throw new DataDirError('DATA_DIR needs O_DSYNC writes (Linux, macOS)');
  await mkdir(dir, { recursive: true });
  const started = performance.now();
  const files = (await readdir(dir)).map(parseDataFileName).filter((f) => f !== undefined);
  // A snapshot being written when the process stopped: the log still holds what it would have.
  for (const f of files.filter((f) => f.kind === 'partial-snapshot'))
    await unlink(join(dir, partialSnapshotName(f.lsn)));
  const snapshots = files
    .filter((f) => f.kind === 'snapshot')
    .map((f) => f.lsn)
    .sort((a, b) => a - b);
  const segments = files
    .filter((f) => f.kind === 'segment')
    .map((f) => f.lsn)
    .sort((a, b) => a - b);

  const names = new Interner();
  const hours = new Hours();
  const snapshotLsn = snapshots.at(-1) ?? 0;
  if (snapshotLsn > 0) {
    const snapshot = await readSnapshotFile(join(dir, snapshotName(snapshotLsn)), names, hours);
    if (snapshot.lsn !== snapshotLsn)
      throw new DataDirError(`DATA_DIR: snapshot ${snapshotName(snapshotLsn)} holds LSN ${snapshot.lsn}`);
    keys.restore(snapshot.keys);
  }
  const loadedMs = performance.now() - started;
  let batches = 0;
  const replayed = await replayLog(
    dir,
    segments,
    snapshotLsn,
    (batch) => {
      replayBatch(batch, names, hours, keys);
      batches++;
    },
    log,
  );
  for (const older of snapshots.slice(0, -1)) await unlink(join(dir, snapshotName(older)));
  log.info(
    {
      snapshotLsn,
      flows: hours.flowCount,
      replayedBatches: batches,
      lastLsn: replayed.lastLsn,
      snapshotMs: Math.round(loadedMs),
      totalMs: Math.round(performance.now() - started),
    },
    'DATA_DIR: totals recovered',
  );
  return { names, hours, log: replayed, snapshotLsn };
}

/**
 * Applies a logged batch as it was acknowledged: its names interned (ids as this interner gives them), no
 * check but overflow, which an acknowledged batch cannot reach; then the hours retention dropped there.
 */
function replayBatch(logged: LoggedBatch, names: Interner, hours: Hours, keys: DurableKeys): void {
  const { lsn, ticket, dropBefore } = logged;
  const batch = renumbered(logged, (name) => names.id(name));
  if (hours.apply(batch, NO_WINDOW) >= 0) throw new Error(`batch ${lsn} would push a total past 2^53-1`);
  // Nothing was counted in a window yet, so the dropped flows' ids are free at once.
  if (dropBefore > 0) hours.retire(hours.dropBefore(dropBefore), -1);
  if (ticket) keys.record(ticket, batch.length);
}
