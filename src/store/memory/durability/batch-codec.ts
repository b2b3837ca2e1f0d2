import type { IdempotencyTicket } from '../../../idempotency/idempotency-store.js';
import { ColumnarBatch } from '../columnar-batch.js';
import type { Interner } from '../interner.js';
import { BatchNames } from './batch-names.js';
import { DataDirError } from './data-files.js';
import { FRAME_HEADER_BYTES, type FrameHeader, sealFrame } from './log-frame.js';

/**
 * A batch in the log, as the store applied it:
 *
 *   records u32 | names u32 | ticket bytes u32 | drop before i32
 *   each name: bytes u16, its JSON form | the Idempotency-Key ticket as JSON, if any
 *   columns: src, dest, vpc (numbers of the batch's names, int32 each), hour int32, bytes_tx, bytes_rx (float64 each)
 *
 * A record names its names by their number in the batch's own list, never by the store's name ids: name
 * compaction (retention freeing the names of dropped hours) renumbers those at any time, so nothing on
 * disk may depend on them, and replay interns the names into whatever ids its interner gives. `drop
 * before` is the oldest hour retention kept once the batch was applied (0: it dropped none), so replay
 * drops what was dropped there, whatever RETENTION_HOURS is now. Names come through the schema, which
 * refuses NUL and lone surrogates (schemas/flow.ts); the JSON form would keep even those exact.
 */
const BATCH_HEADER_BYTES = 16;
const COLUMN_BYTES = [4, 4, 4, 4, 8, 8] as const;
const RECORD_BYTES = 32;

const columns = (batch: ColumnarBatch) => [batch.src, batch.dest, batch.vpc, batch.hour, batch.tx, batch.rx] as const;

/** Scratch for the batch being appended: appends run one at a time, synchronously. */
const batchNames = new BatchNames();

/** The batches of the next frame, encoded as they are applied; `seal` makes the frame. */
export class FrameBuilder {
  #bytes: Buffer;
  #length = FRAME_HEADER_BYTES;
  batches = 0;

  /** Builds in `bytes`, growing it when needed (a buffer handed on from a frame already written). */
  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /** The buffer as grown, for the next builder once this frame is written. */
  get buffer(): Buffer {
    return this.#bytes;
  }

  get bytes(): number {
    return this.#length;
  }

  append(batch: ColumnarBatch, names: Interner, ticket: IdempotencyTicket | undefined, dropBefore: number): void {
    const n = batch.length;
    batchNames.collect(batch, names.size);
    const { ids, count } = batchNames;
    const ticketJson = ticket
      ? Buffer.from(JSON.stringify([ticket.key, ticket.bodyHash, ticket.expiresAt]))
      : undefined;
    let nameBytes = 2 * count;
    for (let j = 0; j < count; j++) nameBytes += names.jsonStart[ids[j] + 1] - names.jsonStart[ids[j]];
    this.#reserve(BATCH_HEADER_BYTES + nameBytes + (ticketJson?.length ?? 0) + n * RECORD_BYTES);
    const out = this.#bytes;
    let at = this.#length;
    at = out.writeUInt32LE(n, at);
    at = out.writeUInt32LE(count, at);
    at = out.writeUInt32LE(ticketJson?.length ?? 0, at);
    at = out.writeInt32LE(dropBefore, at);
    for (let j = 0; j < count; j++) {
      const json = names.pool.subarray(names.jsonStart[ids[j]], names.jsonStart[ids[j] + 1]);
      at = out.writeUInt16LE(json.length, at);
      out.set(json, at);
      at += json.length;
    }
    if (ticketJson) at += ticketJson.copy(out, at);
    const numbers = new Uint8Array(batchNames.columns.buffer, 0, 3 * n * 4);
    out.set(numbers, at);
    at += numbers.length;
    for (const column of columns(batch).slice(3)) {
      const bytes = new Uint8Array(column.buffer, 0, n * column.BYTES_PER_ELEMENT);
      out.set(bytes, at);
      at += bytes.length;
    }
    this.#length = at;
    this.batches++;
  }

  /** The frame, ready to write; the builder must not be used afterwards. */
  seal(firstLsn: number): Buffer {
    const frame = this.#bytes.subarray(0, this.#length);
    sealFrame(frame, this.batches, firstLsn);
    return frame;
  }

  #reserve(more: number): void {
    if (this.#length + more <= this.#bytes.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.#length + more));
    this.#bytes.copy(bigger, 0, 0, this.#length);
    this.#bytes = bigger;
  }
}

export interface LoggedBatch {
  lsn: number;
  /** The batch's names: its records' src, dest and vpc are numbers into this list. */
  names: string[];
  /** Retention dropped the hours before this one once the batch was applied; 0: none. */
  dropBefore: number;
  ticket: IdempotencyTicket | undefined;
  /** Reused from batch to batch: read it before taking the next one. */
  batch: ColumnarBatch;
}

/** The logged batch, its name numbers replaced by the ids `idOf` gives its names; in place. */
export function renumbered(logged: LoggedBatch, idOf: (name: string) => number): ColumnarBatch {
  const ids = logged.names.map(idOf);
  const { batch } = logged;
  for (const column of [batch.src, batch.dest, batch.vpc]) {
    for (let i = 0; i < batch.length; i++) column[i] = ids[column[i]];
  }
  return batch;
}

/** The batches of an intact frame (see frameIsIntact), in order. Throws DataDirError on bytes that do not add up. */
export function* loggedBatches(frame: Buffer, header: FrameHeader, where: string): Generator<LoggedBatch> {
  const batch = new ColumnarBatch();
  const end = FRAME_HEADER_BYTES + header.payloadBytes;
  let at = FRAME_HEADER_BYTES;
  const need = (bytes: number) => {
    if (at + bytes > end) throw new DataDirError(`${where}: a batch runs past the end of its frame`);
  };
  for (let b = 0; b < header.batches; b++) {
    need(BATCH_HEADER_BYTES);
    const n = frame.readUInt32LE(at);
    const nameCount = frame.readUInt32LE(at + 4);
    const ticketBytes = frame.readUInt32LE(at + 8);
    const dropBefore = frame.readInt32LE(at + 12);
    at += BATCH_HEADER_BYTES;
    const names: string[] = [];
    for (let i = 0; i < nameCount; i++) {
      need(2);
      const length = frame.readUInt16LE(at);
      need(2 + length);
      names.push(decodeName(frame.subarray(at + 2, at + 2 + length)));
      at += 2 + length;
    }
    need(ticketBytes + n * RECORD_BYTES);
    const ticket = ticketBytes ? parseTicket(frame.toString('utf8', at, at + ticketBytes), where) : undefined;
    at += ticketBytes;
    if (n > 0) batch.ensure(n - 1);
    for (const [c, column] of columns(batch).entries()) {
      new Uint8Array(column.buffer).set(frame.subarray(at, at + n * COLUMN_BYTES[c]));
      at += n * COLUMN_BYTES[c];
    }
    batch.length = n;
    for (const column of columns(batch).slice(0, 3)) {
      for (let i = 0; i < n; i++) {
        if (column[i] >>> 0 >= nameCount)
          throw new DataDirError(`${where}: a record names name ${column[i]} of ${nameCount}`);
      }
    }
    yield { lsn: header.firstLsn + b, names, dropBefore, ticket, batch };
  }
  if (at !== end) throw new DataDirError(`${where}: ${end - at} bytes left over after the frame's batches`);
}

/** A name from its JSON form: printable ASCII without escapes (what agents send) is the bytes themselves. */
export function decodeName(json: Uint8Array): string {
  let plain = json.length >= 2 && json[0] === 0x22 && json[json.length - 1] === 0x22;
  for (let i = 1; plain && i < json.length - 1; i++) plain = json[i] >= 0x20 && json[i] < 0x7f && json[i] !== 0x5c;
  const bytes = Buffer.from(json.buffer, json.byteOffset, json.length);
  return plain ? bytes.toString('latin1', 1, json.length - 1) : (JSON.parse(bytes.toString('utf8')) as string);
}

function parseTicket(json: string, where: string): IdempotencyTicket {
  const value = JSON.parse(json) as unknown;
  if (!Array.isArray(value) || value.length !== 3) throw new DataDirError(`${where}: malformed Idempotency-Key entry`);
  const [key, bodyHash, expiresAt] = value as [string, string, number];
  return { key, bodyHash, expiresAt };
}
