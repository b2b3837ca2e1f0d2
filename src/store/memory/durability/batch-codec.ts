import type { IdempotencyTicket } from '../../../idempotency/idempotency-store.js';
import { ColumnarBatch } from '../columnar-batch.js';
import type { Interner } from '../interner.js';
import { DataDirError } from './data-files.js';
import { FRAME_HEADER_BYTES, type FrameHeader, sealFrame } from './log-frame.js';

/**
 * A batch in the log, as the store applied it:
 *
 *   records u32 | first new name id u32 | new names u32 | ticket bytes u32
 *   each new name: bytes u16, its JSON form | the Idempotency-Key ticket as JSON, if any
 *   columns: src, dest, vpc, hour (int32 each), bytes_tx, bytes_rx (float64 each)
 *
 * Names are logged once, by the batch that interned them, so records are name ids; replay interns the
 * names in the same order and so gets the same ids. The JSON form keeps any string exact (even a lone
 * surrogate, which UTF-8 cannot carry).
 */
const BATCH_HEADER_BYTES = 16;
const COLUMN_BYTES = [4, 4, 4, 4, 8, 8] as const;
const RECORD_BYTES = 32;

const columns = (batch: ColumnarBatch) => [batch.src, batch.dest, batch.vpc, batch.hour, batch.tx, batch.rx] as const;

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

  append(batch: ColumnarBatch, names: Interner, namesBefore: number, ticket: IdempotencyTicket | undefined): void {
    const n = batch.length;
    const newNames = names.size - namesBefore;
    const ticketJson = ticket
      ? Buffer.from(JSON.stringify([ticket.key, ticket.bodyHash, ticket.expiresAt]))
      : undefined;
    const nameBytes = names.jsonStart[names.size] - names.jsonStart[namesBefore] + 2 * newNames;
    this.#reserve(BATCH_HEADER_BYTES + nameBytes + (ticketJson?.length ?? 0) + n * RECORD_BYTES);
    const out = this.#bytes;
    let at = this.#length;
    at = out.writeUInt32LE(n, at);
    at = out.writeUInt32LE(namesBefore, at);
    at = out.writeUInt32LE(newNames, at);
    at = out.writeUInt32LE(ticketJson?.length ?? 0, at);
    for (let id = namesBefore; id < names.size; id++) {
      const json = names.pool.subarray(names.jsonStart[id], names.jsonStart[id + 1]);
      at = out.writeUInt16LE(json.length, at);
      out.set(json, at);
      at += json.length;
    }
    if (ticketJson) at += ticketJson.copy(out, at);
    for (const column of columns(batch)) {
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
  /** Id of the first name in `names`; the names are new with this batch, in id order. */
  namesFrom: number;
  names: string[];
  ticket: IdempotencyTicket | undefined;
  /** Reused from batch to batch: read it before taking the next one. */
  batch: ColumnarBatch;
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
    const namesFrom = frame.readUInt32LE(at + 4);
    const newNames = frame.readUInt32LE(at + 8);
    const ticketBytes = frame.readUInt32LE(at + 12);
    at += BATCH_HEADER_BYTES;
    const names: string[] = [];
    for (let i = 0; i < newNames; i++) {
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
    yield { lsn: header.firstLsn + b, namesFrom, names, ticket, batch };
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
