import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { syncDir } from '../../../sync-dir.js';
import type { Hours } from '../hours.js';
import { partialSnapshotName, snapshotName } from './data-files.js';
import type { DurableKeys } from './durable-keys.js';
import type { Journal } from './journal.js';
import type { LogWriter } from './log-writer.js';
import { captureSnapshot, writeSnapshotFile } from './snapshot-writer.js';

export interface SnapshotterParts {
  dir: string;
  hours: Hours;
  keys: DurableKeys;
  journal: Journal;
  writer: LogWriter;
  log: Logger;
  /** LSN of the snapshot on disk (0: none). */
  lastLsn: number;
  intervalMs: number;
  /** A snapshot is also taken once the log holds this many bytes. */
  logBytes: number;
}

/** After a failed snapshot, the log size alone does not start another one for this long. */
const RETRY_MS = 30_000;

/**
 * Takes snapshots, one at a time: every `intervalMs`, when the log reaches `logBytes`, and at shutdown.
 * The tables are captured in one synchronous step at the last applied batch, where the log starts a new
 * segment; the file is written to a temporary name, fsynced, and renamed into place once the log is
 * durable up to that batch with no take-back since the capture (a snapshot never holds a batch that
 * could still be refused, or that was). Then the older snapshot and the log segments it covers are
 * deleted.
 */
export class Snapshotter {
  readonly #parts: SnapshotterParts;
  #lastLsn: number;
  #running: Promise<void> | undefined;
  #failedAt = -Infinity;
  #timer: NodeJS.Timeout | undefined;

  constructor(parts: SnapshotterParts) {
    this.#parts = parts;
    this.#lastLsn = parts.lastLsn;
  }

  start(): void {
    this.#timer = setInterval(() => void this.take(), this.#parts.intervalMs).unref();
  }

  /** Called after each durable write. */
  onDurable(): void {
    if (this.#parts.writer.logBytes >= this.#parts.logBytes && Date.now() - this.#failedAt > RETRY_MS) void this.take();
  }

  /**
   * Takes a snapshot unless one is running or, unless `changed`, no batch was applied since the last; never
   * throws (failures are logged). `changed`: the tables changed without a batch (retention at start-up).
   */
  take(changed = false): Promise<void> {
    if (this.#running || (!changed && this.#parts.journal.appliedLsn === this.#lastLsn)) {
      return this.#running ?? Promise.resolve();
    }
    this.#running = this.#take().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stops the timer and takes a last snapshot, so the next start reads no log. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
    await this.take();
  }

  async #take(): Promise<void> {
    const { dir, hours, keys, journal, writer, log } = this.#parts;
    const started = performance.now();
    const { lsn, takeBacks, durable } = journal.cut();
    const state = captureSnapshot(lsn, hours, journal.names, keys);
    const partial = join(dir, partialSnapshotName(lsn));
    try {
      const bytes = await writeSnapshotFile(partial, state);
      await durable;
      // The tables may hold batches a failed write took back (their LSNs now name other batches). `durable`
      // rejects in that case; this also discards a snapshot after a take-back of later batches only (rare:
      // the next one is taken instead).
      if (journal.takeBacks !== takeBacks) throw new Error('a failed log write took batches back meanwhile');
      await rename(partial, join(dir, snapshotName(lsn)));
      await syncDir(dir);
      const previous = this.#lastLsn;
      this.#lastLsn = lsn;
      if (previous > 0 && previous !== lsn) await unlink(join(dir, snapshotName(previous)));
      await writer.deleteUpTo(lsn);
      const ms = Math.round(performance.now() - started);
      log.info({ lsn, flows: state.flows, bytes, ms, logBytes: writer.logBytes }, 'DATA_DIR: snapshot written');
    } catch (err) {
      this.#failedAt = Date.now();
      await unlink(partial).catch(() => {});
      log.warn({ err, lsn }, 'DATA_DIR: snapshot failed; the log still holds every batch, the next attempt follows');
    }
  }
}
