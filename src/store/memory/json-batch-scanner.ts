import { MAX_HOUR, MAX_NAME_LENGTH, MAX_TOTAL } from '../../schemas/flow.js';
import type { ColumnarBatch } from './columnar-batch.js';
import { HASH_SEED, type Interner } from './interner.js';

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
const FIELD_BYTES = FIELD_NAMES.map((name) => new Uint8Array(Buffer.from(name, 'latin1')));

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
      // Key: one of the six names, told apart by its first letter (and for bytes_*, its eighth).
      if (b[i] !== QUOTE) return -1;
      const field = fieldAt(b, i + 1);
      if (field < 0 || seen & (1 << field)) return -1;
      seen |= 1 << field;
      i += FIELD_BYTES[field].length + 1; // at the closing quote, which fieldAt checked
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
          // Written so that reading past the end (undefined) fails too.
          if (!(c >= 0x20 && c <= 0x7e) || c === BACKSLASH) return -1;
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

/** The field whose name, then a closing quote, starts at `b[i]`; or -1. */
function fieldAt(b: Uint8Array, i: number): number {
  let field: number;
  switch (b[i]) {
    case 0x73: // s
      field = SRC;
      break;
    case 0x64: // d
      field = DEST;
      break;
    case 0x76: // v
      field = VPC;
      break;
    case 0x62: // b
      field = b[i + 6] === 0x74 ? TX : RX;
      break;
    case 0x68: // h
      field = HOUR;
      break;
    default:
      return -1;
  }
  const name = FIELD_BYTES[field];
  for (let k = 1; k < name.length; k++) if (b[i + k] !== name[k]) return -1;
  return b[i + name.length] === QUOTE ? field : -1;
}
