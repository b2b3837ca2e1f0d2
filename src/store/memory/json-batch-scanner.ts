import type { ColumnarBatch } from './columnar-batch.js';
import type { Interner } from './interner.js';
import { ALL_FIELDS, FIELD_BYTES, fieldAt, QUOTE, VPC } from './json-fields.js';
import { scanInteger, scanName, skipWs } from './json-scalars.js';

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

const COMMA = 0x2c;
const COLON = 0x3a;

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
  let i = skipWs(b, 0);
  if (b[i] !== 0x5b) return -1; // [
  i = skipWs(b, i + 1);
  if (b[i] === 0x5d) return skipWs(b, i + 1) === b.length ? 0 : -1; // ]
  for (let count = 0; ; ) {
    if (count === maxRecords) return -1; // one too many: the generic path answers 413
    out.ensure(count);
    i = scanRecord(b, i, names, out, count);
    if (i < 0) return -1;
    count++;
    i = skipWs(b, i);
    if (b[i] === COMMA) {
      i = skipWs(b, i + 1);
      continue;
    }
    if (b[i] !== 0x5d) return -1; // ]
    return skipWs(b, i + 1) === b.length ? count : -1;
  }
}

/** The record at `b[i]` into row `row` of `out`: the index after its `}`, or -1. */
function scanRecord(b: Uint8Array, i: number, names: Interner, out: ColumnarBatch, row: number): number {
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
    i = skipWs(b, i + FIELD_BYTES[field].length + 2); // past the closing quote, which fieldAt checked
    if (b[i] !== COLON) return -1;
    i = skipWs(b, i + 1);
    i = field <= VPC ? scanName(b, i, names, field, out, row) : scanInteger(b, i, field, out, row);
    if (i < 0) return -1;
    i = skipWs(b, i);
  }
  return seen === ALL_FIELDS && b[i] === 0x7d ? i + 1 : -1; // }
}
