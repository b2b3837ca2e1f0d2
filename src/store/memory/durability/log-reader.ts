import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type LoggedBatch, loggedBatches } from './batch-codec.js';
import { DataDirError, readFully, segmentName } from './data-files.js';
import { FRAME_HEADER_BYTES, FRAME_MAGIC, frameIsIntact, readFrameHeader } from './log-frame.js';
import type { Segment } from './log-writer.js';

export interface ReplayedLog {
  /** The segments kept, with their intact bytes. */
  segments: Segment[];
  /** LSN of the last batch in the log, or `afterLsn` when it holds none after it. */
  lastLsn: number;
}

/**
 * Reads the log segments (LSNs of their names, ascending) frame by frame and hands each batch after
 * `afterLsn` to `apply`, in order. A damaged frame at the very end of the last segment is a write cut
 * short by a crash, never acknowledged: it is cut off, with a warning. A damaged frame anywhere else, a
 * gap in the LSNs or a frame that does not decode stops start-up (DataDirError).
 */
export async function replayLog(
  dir: string,
  segmentLsns: number[],
  afterLsn: number,
  apply: (batch: LoggedBatch) => void,
  log: Logger,
): Promise<ReplayedLog> {
  const replay = new Replay(afterLsn, apply, log);
  const segments: Segment[] = [];
  for (const [index, firstLsn] of segmentLsns.entries()) {
    const path = join(dir, segmentName(firstLsn));
    const handle = await open(path, 'r+');
    let bytes: number;
    try {
      bytes = await replay.segment(handle, firstLsn, index === segmentLsns.length - 1);
    } finally {
      await handle.close();
    }
    if (bytes > 0) segments.push({ firstLsn, lastLsn: replay.lastLsn, bytes });
    // Nothing intact in it: a segment created by a write that never completed. Its name would be taken next.
    else await unlink(path);
  }
  return { segments, lastLsn: replay.lastLsn };
}

class Replay {
  readonly #afterLsn: number;
  readonly #apply: (batch: LoggedBatch) => void;
  readonly #log: Logger;
  /** The last LSN read; undefined until the first frame. */
  #lastRead: number | undefined;

  constructor(afterLsn: number, apply: (batch: LoggedBatch) => void, log: Logger) {
    this.#afterLsn = afterLsn;
    this.#apply = apply;
    this.#log = log;
  }

  /** The last batch in the log so far, or the snapshot's when the log holds none after it. */
  get lastLsn(): number {
    return Math.max(this.#lastRead ?? this.#afterLsn, this.#afterLsn);
  }

  /** Replays the segment named `firstLsn`; returns its intact bytes (after cutting off a torn end). */
  async segment(handle: FileHandle, firstLsn: number, last: boolean): Promise<number> {
    const name = segmentName(firstLsn);
    const size = (await handle.stat()).size;
    const corrupt = (at: number, what: string) =>
      new DataDirError(
        `DATA_DIR: log segment ${name} is corrupt at byte ${at} (${what}); refusing to start, since going on would lose or miscount acknowledged batches. Restore DATA_DIR from a backup.`,
      );
    let at = 0;
    while (at < size) {
      const frame = await readFrame(handle, at, size);
      if (!frame) {
        if (!last || (await intactFrameAfter(handle, at + 1, size))) {
          throw corrupt(at, 'a damaged record with intact records after it');
        }
        this.#log.warn(
          { segment: name, offset: at, droppedBytes: size - at },
          'DATA_DIR: dropped a torn record at the end of the log (a write cut short by a crash; it was never acknowledged)',
        );
        await handle.truncate(at);
        await handle.datasync();
        return at;
      }
      const problem = this.#frame(frame, at === 0 ? firstLsn : undefined, `${name} at byte ${at}`);
      if (problem) throw corrupt(at, problem);
      at += frame.length;
    }
    return at;
  }

  /** Applies the batches of an intact frame; or says what is wrong with it. */
  #frame(frame: Buffer, named: number | undefined, where: string): string | undefined {
    const header = readFrameHeader(frame);
    if (!header) return 'unreadable header';
    const first = this.#lastRead === undefined;
    const problem = continuityProblem(header.firstLsn, named, this.#lastRead ?? this.#afterLsn, first);
    if (problem) return problem;
    try {
      for (const batch of loggedBatches(frame, header, where)) if (batch.lsn > this.#afterLsn) this.#apply(batch);
    } catch (err) {
      if (err instanceof DataDirError) throw err;
      return (err as Error).message;
    }
    this.#lastRead = header.firstLsn + header.batches - 1;
    return undefined;
  }
}

/**
 * What is wrong with a frame starting at `firstLsn` after `previous` (the last LSN read, or the snapshot's
 * for the first frame, which may also repeat batches the snapshot holds); `named` is its segment's LSN.
 */
function continuityProblem(
  firstLsn: number,
  named: number | undefined,
  previous: number,
  first: boolean,
): string | undefined {
  if (named !== undefined && firstLsn !== named) return `its first batch is ${firstLsn}, not ${named} as its name says`;
  if (first ? firstLsn <= previous + 1 : firstLsn === previous + 1) return undefined;
  return firstLsn > previous + 1
    ? `batches ${previous + 1} to ${firstLsn - 1} are missing`
    : `batch ${firstLsn} comes twice`;
}

/** The intact frame at `at`, or undefined when the bytes there are not one. */
async function readFrame(handle: FileHandle, at: number, size: number): Promise<Buffer | undefined> {
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  if ((await readFully(handle, head, at)) < FRAME_HEADER_BYTES) return undefined;
  const header = readFrameHeader(head);
  if (!header || at + FRAME_HEADER_BYTES + header.payloadBytes > size) return undefined;
  const frame = Buffer.alloc(FRAME_HEADER_BYTES + header.payloadBytes);
  await readFully(handle, frame, at);
  return frameIsIntact(frame) ? frame : undefined;
}

/** Whether an intact frame starts anywhere in [from, size): then the damage is not at the end. */
async function intactFrameAfter(handle: FileHandle, from: number, size: number): Promise<boolean> {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(FRAME_MAGIC);
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  for (let start = from; start < size; start += chunk.length - 3) {
    const bytes = chunk.subarray(0, await readFully(handle, chunk, start));
    for (let hit = bytes.indexOf(magic); hit >= 0; hit = bytes.indexOf(magic, hit + 1)) {
      if (await readFrame(handle, start + hit, size)) return true;
    }
    if (bytes.length < chunk.length) break;
  }
  return false;
}
