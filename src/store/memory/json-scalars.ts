import { MAX_HOUR, MAX_NAME_LENGTH, MAX_TOTAL } from '../../schemas/flow.js';
import type { ColumnarBatch } from './columnar-batch.js';
import { HASH_SEED, type Interner } from './interner.js';
import { DEST, QUOTE, RX, SRC, TX } from './json-fields.js';

// The values of a flow record, read from bytes for the JSON fast path (json-batch-scanner.ts). Each
// reader takes the index where the value starts and returns the index after it, or -1 to decline.

const BACKSLASH = 0x5c;
const ZERO = 0x30;

/** A name: printable ASCII other than `"` and `\`, hashed as it is read. The index after it, or -1. */
export function scanName(
  b: Uint8Array,
  i: number,
  names: Interner,
  field: number,
  out: ColumnarBatch,
  row: number,
): number {
  if (b[i] !== QUOTE) return -1;
  const start = ++i;
  let hash = HASH_SEED;
  let c = b[i];
  while (c !== QUOTE) {
    // Written so that reading past the end (undefined) fails too.
    if (!(c >= 0x20 && c <= 0x7e) || c === BACKSLASH) return -1;
    hash = Math.imul(hash ^ c, 0x01000193);
    c = b[++i];
  }
  const length = i - start;
  if (length === 0 || length > MAX_NAME_LENGTH) return -1;
  const id = names.idOfAscii(b, start, i, hash);
  if (field === SRC) out.src[row] = id;
  else if (field === DEST) out.dest[row] = id;
  else out.vpc[row] = id;
  return i + 1;
}

/**
 * A non-negative integer without sign, fraction or exponent, within its field's bound. At most 16
 * digits, so the running value stays exact up to 2^53 and anything larger still compares as larger.
 * The index after it, or -1.
 */
export function scanInteger(b: Uint8Array, i: number, field: number, out: ColumnarBatch, row: number): number {
  const start = i;
  let value = 0;
  let c = b[i];
  while (c >= ZERO && c <= 0x39) {
    value = value * 10 + (c - ZERO);
    c = b[++i];
  }
  const digits = i - start;
  if (digits === 0 || digits > 16) return -1;
  if (digits > 1 && b[start] === ZERO) return -1; // leading zero: not JSON
  if (c === 0x2e || c === 0x65 || c === 0x45) return -1; // . e E
  if (field === TX) {
    if (value > MAX_TOTAL) return -1;
    out.tx[row] = value;
  } else if (field === RX) {
    if (value > MAX_TOTAL) return -1;
    out.rx[row] = value;
  } else {
    if (value > MAX_HOUR) return -1;
    out.hour[row] = value;
  }
  return i;
}

/** The index of the first non-whitespace byte at or after `i`. */
export function skipWs(b: Uint8Array, i: number): number {
  let c = b[i];
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++i];
  return i;
}
