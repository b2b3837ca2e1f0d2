import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir } from '../../../sync-dir.js';
import { segmentName, writeAll } from './data-files.js';

export interface Segment {
  firstLsn: number;
  lastLsn: number;
  bytes: number;
}

/** A write failed and could not be cleaned up: what is at the end of the log is unknown. */
export class LogBrokenError extends Error {}

/**
 * Each write returns once its data is on disk (O_DSYNC: what write + fdatasync do, in one system call and
 * one trip to libuv's thread pool instead of two).
 */
const APPEND = constants.O_WRONLY | constants.O_DSYNC;

/**
 * Appends frames to the log's segments, one write at a time, each durable before the next. A failed
 * write is cut off again (ftruncate, or the new segment removed), so the log never holds a half-written
 * frame in front of later ones; if even that fails, every later write fails too.
 */
export class LogWriter {
  readonly #dir: string;
  readonly #segments: Segment[];
  #handle: FileHandle | undefined;
  #broken: LogBrokenError | undefined;
  #writing = false;

  private constructor(dir: string, segments: Segment[], handle: FileHandle | undefined) {
    this.#dir = dir;
    this.#segments = segments;
    this.#handle = handle;
  }

  /** A writer appending to the last of `segments` (those on disk, oldest first, each whole). */
  static async open(dir: string, segments: Segment[]): Promise<LogWriter> {
    const last = segments.at(-1);
    const handle = last ? await open(join(dir, segmentName(last.firstLsn)), APPEND) : undefined;
    return new LogWriter(dir, segments, handle);
  }

  /** Bytes in all segments: what a restart would read. */
  get logBytes(): number {
    return this.#segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  get broken(): LogBrokenError | undefined {
    return this.#broken;
  }

  /**
   * Appends `frame` (batches `firstLsn` to `lastLsn`), in a new segment when `newSegment` or none is open.
   * One at a time: the caller waits for each write before the next.
   */
  async write(frame: Uint8Array, firstLsn: number, lastLsn: number, newSegment: boolean): Promise<void> {
    if (this.#broken) throw this.#broken;
    this.#writing = true;
    try {
      if (newSegment || !this.#handle) await this.#writeToNewSegment(frame, firstLsn, lastLsn);
      else await this.#append(frame, lastLsn, this.#handle);
    } finally {
      this.#writing = false;
    }
  }

  async #append(frame: Uint8Array, lastLsn: number, handle: FileHandle): Promise<void> {
    const segment = this.#segments[this.#segments.length - 1];
    try {
      await writeAll(handle, frame, segment.bytes);
      segment.bytes += frame.length;
      segment.lastLsn = lastLsn;
    } catch (err) {
      await this.#cleanUp(async () => {
        await handle.truncate(segment.bytes);
        await handle.datasync();
      });
      throw err;
    }
  }

  /**
   * Deletes the segments holding nothing after `lsn` (a snapshot holds everything up to it); when that
   * includes the open one, the next write starts a new segment.
   */
  async deleteUpTo(lsn: number): Promise<void> {
    const covered = this.#segments.filter(
      (s, i) => s.lastLsn <= lsn && !(this.#writing && i === this.#segments.length - 1),
    );
    if (covered.length === 0) return;
    if (covered.includes(this.#segments[this.#segments.length - 1])) await this.close();
    for (const segment of covered) {
      this.#segments.splice(this.#segments.indexOf(segment), 1);
      await unlink(join(this.#dir, segmentName(segment.firstLsn)));
    }
    await syncDir(this.#dir);
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }

  async #writeToNewSegment(frame: Uint8Array, firstLsn: number, lastLsn: number): Promise<void> {
    const path = join(this.#dir, segmentName(firstLsn));
    const handle = await open(path, APPEND | constants.O_CREAT | constants.O_EXCL);
    try {
      await writeAll(handle, frame, 0);
      await syncDir(this.#dir);
    } catch (err) {
      await this.#cleanUp(async () => {
        await handle.close();
        await unlink(path);
        await syncDir(this.#dir);
      });
      throw err;
    }
    const previous = this.#handle;
    this.#handle = handle;
    this.#segments.push({ firstLsn, lastLsn, bytes: frame.length });
    await previous?.close();
  }

  async #cleanUp(undo: () => Promise<void>): Promise<void> {
    try {
      await undo();
    } catch (err) {
      this.#broken = new LogBrokenError('the end of the log is unknown after a failed write', { cause: err });
      throw this.#broken;
    }
  }
}
