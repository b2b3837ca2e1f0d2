import { hash } from 'node:crypto';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * SHA-256 (hex) of a request body with the whitespace JSON allows between tokens taken out, so a retry
 * that spaces or breaks its lines differently is the same request. One pass over the bytes: it costs a
 * fraction of parsing and re-serializing the body, and for a compact body (what agents send) hashes the
 * very bytes that `JSON.stringify(JSON.parse(body))` would give. Bytes that are not JSON are hashed
 * the same way: such a body gets a 400 anyway.
 */
export function bodyHash(body: unknown): string {
  return hash('sha256', comparedBody(body));
}

/** What a body is told apart by: its bytes without JSON's whitespace, or the JSON of a parsed body. */
export function comparedBody(body: unknown): Buffer | string {
  if (body === undefined) return '';
  if (!Buffer.isBuffer(body)) return JSON.stringify(body);
  return withoutJsonWhitespace(body);
}

/** The bytes outside strings that are not whitespace; the body itself when there is none to take out. */
export function withoutJsonWhitespace(body: Buffer): Buffer {
  // Most bodies have no byte at or below a space: one comparison a byte tells, before the full pass.
  let first = 0;
  while (first < body.length && body[first] > 0x20) first++;
  if (first === body.length) return body;
  let out: Buffer | undefined;
  let written = 0;
  let runStart = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      out ??= Buffer.allocUnsafe(body.length);
      written += body.copy(out, written, runStart, i);
      runStart = i + 1;
    }
  }
  if (!out) return body;
  written += body.copy(out, written, runStart, body.length);
  return out.subarray(0, written);
}
