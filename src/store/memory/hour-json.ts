import { KEY_INTS, TOTAL_DOUBLES, TX } from './hour-table.js';
import type { Interner } from './interner.js';

/**
 * `GET /flows?hour=N` as bytes, written straight from an hour's flows: each name's JSON form is copied
 * from the interner's pool and the totals are printed digit by digit, so no object or string is made per
 * flow. Same fields and order as the FlowTotal schema, which is what fast-json-stringify would print.
 * The size is known before writing, so each answer (or each chunk of a streamed one) is allocated once.
 */

/** An hour's flows as the table lays them out (the live table, or a snapshot of it). */
export interface FlowRows {
  readonly keys: Int32Array;
  readonly totals: Float64Array;
  readonly count: number;
}

const SRC = bytes('{"src_app":');
const DEST = bytes(',"dest_app":');
const VPC = bytes(',"vpc_id":');
const RX = bytes(',"bytes_rx":');
/** Plain Uint8Arrays only: one array type keeps the copy loop's element access monomorphic. */
function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text));
}
/** The widest total, 2^53-1, has 16 digits. */
const MAX_DIGITS = 16;

/** Bytes of flows [from, to) as JSON objects separated by commas (no brackets, no leading comma). */
export function flowsJsonSize(rows: FlowRows, hour: number, names: Interner, from: number, to: number): number {
  const fixed = SRC.length + DEST.length + VPC.length + hourAndTx(hour).length + RX.length + 1;
  const starts = names.jsonStart;
  const { keys, totals } = rows;
  let size = Math.max(0, to - from - 1) + (to - from) * fixed;
  for (let i = from; i < to; i++) {
    const k = i * KEY_INTS;
    for (let n = 0; n < 3; n++) size += starts[keys[k + n] + 1] - starts[keys[k + n]];
    size += digits(totals[i * TOTAL_DOUBLES + TX]) + digits(totals[i * TOTAL_DOUBLES + TX + 1]);
  }
  return size;
}

/** The whole answer, `[`, every flow, `]`: `size` bytes (flowsJsonSize of every flow, plus 2). */
export function writeHourJson(rows: FlowRows, hour: number, names: Interner, size: number): Buffer {
  const { buffer, view } = allocate(size);
  view[0] = 0x5b; // [
  const at = writeFlows(rows, hour, names, 0, rows.count, view, 1);
  view[at] = 0x5d; // ]
  return buffer;
}

/** A Buffer to return, and a plain Uint8Array view of it to write through (see `bytes`). */
export function allocate(size: number): { buffer: Buffer; view: Uint8Array } {
  const buffer = Buffer.allocUnsafe(size);
  return { buffer, view: new Uint8Array(buffer.buffer, buffer.byteOffset, size) };
}

/** Writes flows [from, to) into `out` at `at`, which has room for them (flowsJsonSize); returns the index after. */
export function writeFlows(
  rows: FlowRows,
  hour: number,
  names: Interner,
  from: number,
  to: number,
  out: Uint8Array,
  at: number,
): number {
  const hourAndTxBytes = hourAndTx(hour);
  const { keys, totals } = rows;
  const pool = names.pool;
  const starts = names.jsonStart;
  for (let i = from; i < to; i++) {
    const k = i * KEY_INTS;
    const src = keys[k];
    const dest = keys[k + 1];
    const vpc = keys[k + 2];
    if (i > from) out[at++] = 0x2c; // ,
    at = copy(SRC, 0, SRC.length, out, at);
    at = copy(pool, starts[src], starts[src + 1], out, at);
    at = copy(DEST, 0, DEST.length, out, at);
    at = copy(pool, starts[dest], starts[dest + 1], out, at);
    at = copy(VPC, 0, VPC.length, out, at);
    at = copy(pool, starts[vpc], starts[vpc + 1], out, at);
    at = copy(hourAndTxBytes, 0, hourAndTxBytes.length, out, at);
    at = writeInteger(totals[i * TOTAL_DOUBLES + TX], out, at);
    at = copy(RX, 0, RX.length, out, at);
    at = writeInteger(totals[i * TOTAL_DOUBLES + TX + 1], out, at);
    out[at++] = 0x7d; // }
  }
  return at;
}

function hourAndTx(hour: number): Uint8Array {
  return bytes(`,"hour":${hour},"bytes_tx":`);
}

/** A byte loop: for the few bytes of a name it beats a native copy call. */
function copy(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): number {
  for (let k = start; k < end; k++) to[at++] = from[k];
  return at;
}

/** Decimal digits of a non-negative integer up to 2^53-1. */
function digits(value: number): number {
  let count = 1;
  for (let limit = 10; value >= limit && count < MAX_DIGITS; limit *= 10) count++;
  return count;
}

/** Prints a non-negative integer up to 2^53-1 (a double) in decimal. */
function writeInteger(value: number, to: Uint8Array, at: number): number {
  const end = at + digits(value);
  let rest = value;
  let k = end - 1;
  for (; rest > 0x7fffffff; k--) {
    const quotient = Math.floor(rest / 10);
    to[k] = 0x30 + (rest - quotient * 10);
    rest = quotient;
  }
  // Small integers: int32 arithmetic, several times cheaper than float division.
  for (; k >= at; k--) {
    const quotient = (rest / 10) | 0;
    to[k] = 0x30 + rest - quotient * 10;
    rest = quotient;
  }
  return end;
}
