/**
 * What JSON.parse lets through that the flow contract forbids, found in the text of a body that
 * JSON.parse accepted: a record with a field given twice (JSON.parse keeps the last one silently), and
 * a number written with a fraction or an exponent (JSON.parse rounds `0.99999999999999999` to 1 and
 * `2147483647.0000001` to 2147483647, which the schema would then take as integers). Numbers in a
 * record are plain decimal integers. Returns the message naming the record and field, or undefined.
 *
 * Only records (objects directly in the top-level array) and their six fields are looked at: anything
 * else is the schema's to reject. The text is valid JSON, so the walk need not check its syntax.
 */
export function findLenientInput(text: string): string | undefined {
  let depth = 0;
  let record = 0;
  let inRecord = false;
  let expectKey = false;
  /** The record's fields seen so far, one bit each (FIELDS); unknown fields are the schema's to reject. */
  let seen = 0;
  let keyStart = 0;
  let keyEnd = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (inRecord && depth === 2 && expectKey) {
        keyStart = i;
        keyEnd = end;
        const bit = fieldBit(text, i, end);
        if (seen & bit) return `record ${record}: duplicate field ${JSON.stringify(decodeKey(text, i, end))}`;
        seen |= bit;
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      if (depth === 1 && c !== OPEN_ARRAY) return undefined; // not a batch: the schema says so
      if (depth === 2) {
        inRecord = c === OPEN_OBJECT;
        seen = 0;
        expectKey = inRecord;
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    } else if (c === COMMA) {
      if (depth === 1) record++;
      else if (depth === 2 && inRecord) expectKey = true;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      const end = numberEnd(text, i);
      if (inRecord && depth === 2 && !isPlainInteger(text, i, end)) {
        const field = JSON.stringify(decodeKey(text, keyStart, keyEnd));
        return `record ${record}: field ${field} must be a plain decimal integer (no fraction or exponent)`;
      }
      i = end - 1;
    }
  }
  return undefined;
}

const FIELDS = ['src_app', 'dest_app', 'vpc_id', 'bytes_tx', 'bytes_rx', 'hour'];

/** The bit of the record field whose key is the string at [start, end], or 0 for another key. */
function fieldBit(text: string, start: number, end: number): number {
  let escaped = false;
  for (let i = start + 1; i < end; i++) if (text.charCodeAt(i) === BACKSLASH) escaped = true;
  for (let f = 0; f < FIELDS.length; f++) {
    const name = FIELDS[f];
    const same = escaped
      ? decodeKey(text, start, end) === name
      : end - start - 1 === name.length && text.startsWith(name, start + 1);
    if (same) return 1 << f;
  }
  return 0;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** The index of the quote that closes the string opened at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (let c = text.charCodeAt(i); c !== QUOTE; c = text.charCodeAt(++i)) if (c === BACKSLASH) i++;
  return i;
}

/** A key as JSON.parse reads it, so `"src\u005fapp"` is the same field as `"src_app"`. */
function decodeKey(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  return raw.includes('\\') ? (JSON.parse(text.slice(start, end + 1)) as string) : raw;
}

/** The index after the number starting at `start`: digits, sign, point and exponent are all it can hold. */
function numberEnd(text: string, start: number): number {
  let i = start;
  for (
    let c = text.charCodeAt(i);
    (c >= ZERO && c <= NINE) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
  ) {
    c = text.charCodeAt(++i);
  }
  return i;
}

function isPlainInteger(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e || c === 0x65 || c === 0x45) return false; // . e E
  }
  return true;
}
