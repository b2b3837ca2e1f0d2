import { randomBytes } from 'node:crypto';
import siphash24 from 'siphash24';

const HALF_KEY_BYTES = 16;

/**
 * 128 bits of a key's text that no client can make two keys share: SipHash-2-4 (WebAssembly) under two
 * secret 128-bit keys drawn for this process, 64 bits each, of the text's UTF-8 bytes. SipHash is made for
 * exactly this (keys chosen by an attacker, in a table of one process); the digests are never stored
 * anywhere else, so a new secret at each start loses nothing. In the server SHA-256 (crypto.hash) cost
 * about a tenth of a new key's requests/s more (bench/RESULTS.md, (h), seventh sitting).
 */
export class KeyDigest {
  readonly #first: Uint8Array;
  readonly #second: Uint8Array;
  #text = new Uint8Array(1024);
  readonly #out = new Uint8Array(16);
  readonly #outWords = new Int32Array(this.#out.buffer);
  readonly #secondOut = this.#out.subarray(8);

  constructor(secret: Uint8Array = randomBytes(2 * HALF_KEY_BYTES)) {
    if (secret.length !== 2 * HALF_KEY_BYTES)
      throw new RangeError(`a key digest's secret is ${2 * HALF_KEY_BYTES} bytes`);
    this.#first = Uint8Array.from(secret.subarray(0, HALF_KEY_BYTES));
    this.#second = Uint8Array.from(secret.subarray(HALF_KEY_BYTES));
  }

  /** Writes the digest of `key` into `out` as four 32-bit words. */
  digest(key: string, out: Int32Array): void {
    const text = this.#utf8(key);
    siphash24(text, this.#first, this.#out, true);
    siphash24(text, this.#second, this.#secondOut, true);
    const words = this.#outWords;
    out[0] = words[0];
    out[1] = words[1];
    out[2] = words[2];
    out[3] = words[3];
  }

  /** The key's UTF-8 bytes; keys are ASCII in practice (IdempotencyGate), copied a character at a time. */
  #utf8(key: string): Uint8Array {
    if (key.length * 3 > this.#text.length) this.#text = new Uint8Array(key.length * 3);
    const text = this.#text;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c > 0x7f) return text.subarray(0, Buffer.from(text.buffer).write(key, 'utf8'));
      text[i] = c;
    }
    return text.subarray(0, key.length);
  }
}
