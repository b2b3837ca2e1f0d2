import { hash, randomBytes } from 'node:crypto';
import { comparedBody } from './body-hash.js';
import { SipHash, secretWords } from './sip-hash.js';

/**
 * Bodies past this size are SHA-256 digested first, so that the WebAssembly memory they are copied
 * into (which only grows) stays small, and a body up to BODY_LIMIT (1 GiB at most) fits.
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
  readonly #secret: Int32Array;
  readonly #sipHash = new SipHash();
  readonly #out = new Int32Array(2);
  readonly #units = new Uint16Array(this.#out.buffer);

  constructor(secret: Uint8Array = randomBytes(SECRET_BYTES)) {
    if (secret.length !== SECRET_BYTES) throw new RangeError(`a body fingerprint's secret is ${SECRET_BYTES} bytes`);
    this.#secret = secretWords(secret);
  }

  of(body: unknown): string {
    const compared = comparedBody(body);
    const bytes = typeof compared === 'string' ? Buffer.from(compared) : compared;
    const length = this.#sipHash.write(bytes.length > WHOLE_BODY_MAX_BYTES ? hash('sha256', bytes, 'buffer') : bytes);
    this.#sipHash.hash(length, this.#secret, this.#out, 0);
    const units = this.#units;
    return String.fromCharCode(units[0], units[1], units[2], units[3]);
  }
}
