import { randomBytes } from 'node:crypto';
import { SipHash, secretWords } from './sip-hash.js';

const HALF_KEY_BYTES = 16;

/**
 * 128 bits of a key's text that no client can make two keys share: SipHash-2-4 (WebAssembly) under two
 * secret 128-bit keys drawn for this process, 64 bits each, of the text's UTF-8 bytes. SipHash is made for
 * exactly this (keys chosen by an attacker, in a table of one process); the digests are never stored
 * anywhere else, so a new secret at each start loses nothing. In the server SHA-256 (crypto.hash) cost
 * about a tenth of a new key's requests/s more (bench/RESULTS.md, (h), seventh sitting).
 */
export class KeyDigest {
  readonly #first: Int32Array;
  readonly #second: Int32Array;
  readonly #sipHash = new SipHash();

  constructor(secret: Uint8Array = randomBytes(2 * HALF_KEY_BYTES)) {
    if (secret.length !== 2 * HALF_KEY_BYTES)
      throw new RangeError(`a key digest's secret is ${2 * HALF_KEY_BYTES} bytes`);
    this.#first = secretWords(secret.subarray(0, HALF_KEY_BYTES));
    this.#second = secretWords(secret.subarray(HALF_KEY_BYTES));
  }

  /** Writes the digest of `key` into `out` as four 32-bit words. */
  digest(key: string, out: Int32Array): void {
    const length = this.#sipHash.writeText(key);
    this.#sipHash.hash(length, this.#first, out, 0);
    this.#sipHash.hash(length, this.#second, out, 2);
  }
}
