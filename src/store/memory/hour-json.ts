import type { HourTable } from './hour-table.js';
import { KEY_INTS, TOTAL_DOUBLES, TX } from './hour-table.js';
import type { Interner } from './interner.js';

/**
 * `GET /flows?hour=N` as bytes, written straight from the table: each name's JSON form is copied from
 * the interner's pool and the totals are printed digit by digit, so no object or string is made per
 * flow. Same fields and order as the FlowTotal schema, which is what fast-json-stringify would print.
 */
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

export function writeHourJson(table: HourTable, hour: number, names: Interner): Buffer {
  const hourAndTx = bytes(`,"hour":${hour},"bytes_tx":`);
  const fixed = SRC.length + DEST.length + VPC.length + hourAndTx.length + RX.length + 2 * MAX_DIGITS + 2;
  const { keys, totals, count } = table;
  const pool = names.pool;
  const starts = names.jsonStart;
  let out = new Uint8Array(Math.max(64, count * (fixed + 30)));
  let at = 0;
  out[at++] = 0x5b; // [
  for (let i = 0; i < count; i++) {
    const k = i * KEY_INTS;
    const src = keys[k];
    const dest = keys[k + 1];
    const vpc = keys[k + 2];
    const need =
      fixed + starts[src + 1] - starts[src] + starts[dest + 1] - starts[dest] + starts[vpc + 1] - starts[vpc];
    if (at + need + 1 > out.length) {
      const bigger = new Uint8Array(Math.max(out.length * 2, at + need + 1));
      bigger.set(out.subarray(0, at));
      out = bigger;
    }
    if (i > 0) out[at++] = 0x2c; // ,
    at = copy(SRC, 0, SRC.length, out, at);
    at = copy(pool, starts[src], starts[src + 1], out, at);
    at = copy(DEST, 0, DEST.length, out, at);
    at = copy(pool, starts[dest], starts[dest + 1], out, at);
    at = copy(VPC, 0, VPC.length, out, at);
    at = copy(pool, starts[vpc], starts[vpc + 1], out, at);
    at = copy(hourAndTx, 0, hourAndTx.length, out, at);
    at = writeInteger(totals[i * TOTAL_DOUBLES + TX], out, at);
    at = copy(RX, 0, RX.length, out, at);
    at = writeInteger(totals[i * TOTAL_DOUBLES + TX + 1], out, at);
    out[at++] = 0x7d; // }
  }
  out[at++] = 0x5d; // ]
  return Buffer.from(out.buffer, 0, at);
}

/** A byte loop: for the few bytes of a name it beats a native copy call. */
function copy(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): number {
  for (let k = start; k < end; k++) to[at++] = from[k];
  return at;
}

/** Prints a non-negative integer up to 2^53-1 (a double) in decimal. */
function writeInteger(value: number, to: Uint8Array, at: number): number {
  let digits = 1;
  for (let limit = 10; value >= limit && digits < MAX_DIGITS; limit *= 10) digits++;
  const end = at + digits;
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
