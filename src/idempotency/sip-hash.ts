// siphash24's WebAssembly module itself, a file of the package (its version pinned in package.json): its function
// wrapper copies the key and the input in and allocates a view on every call. test/idempotency/sip-hash.test.ts
// holds this to the reference vectors and to that function.
import instantiate from 'siphash24/siphash24.js';

/** Where siphash24's WebAssembly reads its 16-byte key (bytes 8 to 23) and its input (from byte 24). */
const KEY_WORD = 2;
export const SIP_HASH_INPUT_AT = 24;
const PAGE_BYTES = 64 * 1024;

/**
 * SipHash-2-4 (siphash24's WebAssembly, an instance of its own: 640 KiB of memory) of an input written
 * once into its memory, under as many secrets as asked: a secret is four 32-bit stores, the hash two loads.
 * Through siphash24's function a request with a new Idempotency-Key (three hashes) ran about 4% more
 * instructions (bench/RESULTS.md, (h), eighth sitting).
 */
export class SipHash {
  readonly #wasm = instantiate();
  #bytes = Buffer.from(this.#wasm.memory.buffer);
  #words = new Int32Array(this.#wasm.memory.buffer);

  /** The memory, with room for an input of `length` bytes written from SIP_HASH_INPUT_AT on. */
  inputOf(length: number): Buffer {
    const needed = SIP_HASH_INPUT_AT + length;
    if (needed > this.#bytes.length) {
      this.#wasm.memory.grow(Math.ceil((needed - this.#bytes.length) / PAGE_BYTES));
      this.#bytes = Buffer.from(this.#wasm.memory.buffer);
      this.#words = new Int32Array(this.#wasm.memory.buffer);
    }
    return this.#bytes;
  }

  /**
   * Writes `text`'s UTF-8 bytes as the input and returns their length. Keys are ASCII: their bytes are
   * their characters, stored one by one without a call into Buffer.write, which is kept for any other text
   * (measured only together with KeyTable's four stores: bench/RESULTS.md, (h), eleventh sitting).
   */
  writeText(text: string): number {
    const bytes = this.inputOf(text.length * 3);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) return bytes.write(text, SIP_HASH_INPUT_AT);
      bytes[SIP_HASH_INPUT_AT + i] = c;
    }
    return text.length;
  }

  /** Writes `bytes` as the input and returns its length. */
  write(bytes: Uint8Array): number {
    this.inputOf(bytes.length).set(bytes, SIP_HASH_INPUT_AT);
    return bytes.length;
  }

  /**
   * SipHash-2-4 of the `length` bytes written as the input under `secret` (secretWords), as two 32-bit
   * words written to `out` at `at`: the hash's 8 bytes, in memory order.
   */
  hash(length: number, secret: Int32Array, out: Int32Array, at: number): void {
    const words = this.#words;
    words[KEY_WORD] = secret[0];
    words[KEY_WORD + 1] = secret[1];
    words[KEY_WORD + 2] = secret[2];
    words[KEY_WORD + 3] = secret[3];
    this.#wasm.siphash(SIP_HASH_INPUT_AT, length);
    out[at] = words[0];
    out[at + 1] = words[1];
  }
}

/** A 16-byte secret as the four 32-bit words SipHash.hash takes: its bytes viewed as words, copied as they are. */
export function secretWords(secret: Uint8Array): Int32Array {
  return new Int32Array(Uint8Array.from(secret).buffer);
}
