import { hash, randomBytes } from 'node:crypto';
import siphash24 from 'siphash24';
import { comparedBody } from './body-hash.js';

/**
 * siphash24 copies its input into WebAssembly memory, which only grows: bodies past this size are
 * SHA-256 digested first, so that memory stays small and a body up to BODY_LIMIT (1 GiB at most) fits.
 */
const WHOLE_BODY_MAX_BYTES = 64 * 1024;
const SECRET_BYTES = 16;

/**
 * 64 bits that tell a key's body from another one, for a store whose keys never leave this process
 * (MemoryIdempotencyStore): SipHash-2-4 (WebAssembly) of the body as bodyHash reads it, under a secret
 * drawn for this process, as a string of four UTF-16 code units. A client that cannot see the secret
 * cannot aim at a collision, and two bodies under one key meet by chance once in 2^64. Stores that keep
 * keys elsewhere (PostgreSQL, the journal) keep bodyHash's SHA-256, the same in every process; in the
 * server SHA-256 (crypto.hash) and its hex cost more than this (bench/RESULTS.md, (h), seventh sitting).
 */
export class BodyFingerprint {
  readonly #secret: Uint8Array;
  readonly #out = new Uint8Array(8);
  readonly #units = new Uint16Array(this.#out.buffer);

  constructor(secret: Uint8Array = randomBytes(SECRET_BYTES)) {
    if (secret.length !== SECRET_BYTES) throw new RangeError(`a body fingerprint's secret is ${SECRET_BYTES} bytes`);
    this.#secret = Uint8Array.from(secret);
  }

  of(body: unknown): string {
    const compared = comparedBody(body);
    const bytes = typeof compared === 'string' ? Buffer.from(compared) : compared;
    const hashed = bytes.length > WHOLE_BODY_MAX_BYTES ? hash('sha256', bytes, 'buffer') : bytes;
    siphash24(hashed, this.#secret, this.#out, true);
    const units = this.#units;
    return String.fromCharCode(units[0], units[1], units[2], units[3]);
  }
}
