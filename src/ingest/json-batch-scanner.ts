import { MAX_HOUR, MAX_NAME_LENGTH, MAX_TOTAL } from '../schemas/flow.js';
import { HASH_SEED, type Interner } from '../store/interner.js';
import type { ColumnarBatch } from './columnar-batch.js';

/**
 * The fast path for `POST /flows`: reads a JSON batch straight from its bytes into `out`, checking
 * every record against the FlowRecord schema's rules as it goes, and interning names without making
 * a string or an object per record.
 *
 * It only accepts what it can prove valid: records whose names are printable ASCII without escapes
 * and whose numbers are plain non-negative integers within bounds, keys in any order, any JSON
 * whitespace. Anything else (escapes, non-ASCII, exponents, invalid JSON, any rule broken) returns
 * false with the interner as it was, and the caller takes the generic path (JSON.parse and the Ajv
 * validator compiled from the schema), which gives the exact 4xx message or accepts the unusual input.
 */

// Field numbers, also bit positions in the "seen" mask.
const SRC = 0;
const DEST = 1;
const VPC = 2;
const TX = 3;
const RX = 4;
const HOUR = 5;
const ALL_FIELDS = 0b111111;
const FIELD_NAMES = ['src_app', 'dest_app', 'vpc_id', 'bytes_tx', 'bytes_rx', 'hour'];
const FIELD_BYTES = FIELD_NAMES.map((name) => Buffer.from(name, 'latin1'));

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const ZERO = 0x30;

export function scanFlowBatch(b: Uint8Array, maxRecords: number, names: Interner, out: ColumnarBatch): boolean {
  const namesBefore = names.size;
  const n = scan(b, maxRecords, names, out);
  if (n < 0) {
    names.truncate(namesBefore);
    return false;
  }
  out.length = n;
  return true;
}

/** The record count, or -1 when the body needs the generic path. */
function scan(b: Uint8Array, maxRecords: number, names: Interner, out: ColumnarBatch): number {
  const end = b.length;
  let i = skipWs(b, 0);
  if (b[i] !== 0x5b) return -1; // [
  i = skipWs(b, i + 1);
  let count = 0;
  if (b[i] === 0x5d) return skipWs(b, i + 1) === end ? 0 : -1; // ]
  for (;;) {
    if (count === maxRecords) return -1; // one too many: the generic path answers 413
    out.ensure(count);
    if (b[i] !== 0x7b) return -1; // {
    i = skipWs(b, i + 1);
    let seen = 0;
    for (let f = 0; f < 6; f++) {
      if (f > 0) {
        if (b[i] !== COMMA) return -1;
        i = skipWs(b, i + 1);
      }
      // Key.
      if (b[i] !== QUOTE) return -1;
      const keyStart = ++i;
      while (i < end && b[i] !== QUOTE && b[i] !== BACKSLASH) i++;
      if (b[i] !== QUOTE) return -1;
      const field = fieldOf(b, keyStart, i);
      if (field < 0 || seen & (1 << field)) return -1;
      seen |= 1 << field;
      i = skipWs(b, i + 1);
      if (b[i] !== COLON) return -1;
      i = skipWs(b, i + 1);

      if (field <= VPC) {
        // A name: printable ASCII other than `"` and `\`, hashed as it is read.
        if (b[i] !== QUOTE) return -1;
        const start = ++i;
        let hash = HASH_SEED;
        let c = b[i];
        while (c !== QUOTE) {
          if (c < 0x20 || c > 0x7e || c === BACKSLASH) return -1; // also ends the loop past the end (undefined)
          hash = Math.imul(hash ^ c, 0x01000193);
          c = b[++i];
        }
        const length = i - start;
        if (length === 0 || length > MAX_NAME_LENGTH) return -1;
        const id = names.idOfAscii(b, start, i, hash);
        if (field === SRC) out.src[count] = id;
        else if (field === DEST) out.dest[count] = id;
        else out.vpc[count] = id;
        i++;
      } else {
        // A non-negative integer without sign, fraction or exponent: at most 16 digits, so the
        // running value stays exact up to 2^53 and anything larger still compares as larger.
        let c = b[i];
        if (c === ZERO) {
          c = b[++i];
          if (c >= ZERO && c <= 0x39) return -1; // leading zero: not JSON
          if (c === 0x2e || c === 0x65 || c === 0x45) return -1; // . e E
          if (field === TX) out.tx[count] = 0;
          else if (field === RX) out.rx[count] = 0;
          else out.hour[count] = 0;
        } else {
          const start = i;
          let value = 0;
          while (c >= ZERO && c <= 0x39) {
            value = value * 10 + (c - ZERO);
            c = b[++i];
          }
          const digits = i - start;
          if (digits === 0 || digits > 16) return -1;
          if (c === 0x2e || c === 0x65 || c === 0x45) return -1; // . e E
          if (field === TX) {
            if (value > MAX_TOTAL) return -1;
            out.tx[count] = value;
          } else if (field === RX) {
            if (value > MAX_TOTAL) return -1;
            out.rx[count] = value;
          } else {
            if (value > MAX_HOUR) return -1;
            out.hour[count] = value;
          }
        }
      }
      i = skipWs(b, i);
    }
    if (seen !== ALL_FIELDS || b[i] !== 0x7d) return -1; // }
    count++;
    i = skipWs(b, i + 1);
    if (b[i] === COMMA) {
      i = skipWs(b, i + 1);
      continue;
    }
    if (b[i] !== 0x5d) return -1; // ]
    return skipWs(b, i + 1) === end ? count : -1;
  }
}

function skipWs(b: Uint8Array, i: number): number {
  let c = b[i];
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++i];
  return i;
}

function fieldOf(b: Uint8Array, start: number, end: number): number {
  const length = end - start;
  for (let field = 0; field < FIELD_BYTES.length; field++) {
    const name = FIELD_BYTES[field];
    if (name.length !== length) continue;
    let k = 0;
    while (k < length && b[start + k] === name[k]) k++;
    if (k === length) return field;
  }
  return -1;
}
