/**
 * Maps each distinct string to a small integer, so a flow is three integers instead of three strings.
 *
 * Names are found either by string (the generic path) or straight from the request bytes (the JSON
 * fast path), so the index is an open-addressing table over one hash that both can compute: FNV-1a
 * over UTF-16 code units, which for printable ASCII are the bytes themselves. Each name's JSON form
 * (quoted, escaped, UTF-8) is kept in one byte pool: the fast path compares against it and GET copies it.
 */
import { clearSlots, EMPTY, rebuildSlots } from './linear-probing.js';

export const HASH_SEED = 0x811c9dc5;
/** One FNV-1a step; the JSON scanner inlines the same formula. */
export const hashStep = (hash: number, unit: number): number => Math.imul(hash ^ unit, 0x01000193);

function hashString(value: string): number {
  let hash = HASH_SEED;
  for (let i = 0; i < value.length; i++) hash = hashStep(hash, value.charCodeAt(i));
  return hash;
}

export class Interner {
  readonly #strings: string[] = [];
  #hashes = new Int32Array(64);
  #slots = new Int32Array(128).fill(EMPTY);
  #mask = 127;
  /** JSON bytes of name `id` are `pool[jsonStart[id], jsonStart[id + 1])`. */
  pool = new Uint8Array(4096);
  jsonStart = new Int32Array(65).fill(0);

  id(value: string): number {
    const hash = hashString(value);
    const slot = this.#slotOf(value, hash);
    const id = this.#slots[slot];
    return id !== EMPTY ? id : this.#add(value, hash, slot, Buffer.from(JSON.stringify(value)));
  }

  /** The id of `value`, or -1 when it was never interned; adds nothing (for query filters). */
  find(value: string): number {
    return this.#slots[this.#slotOf(value, hashString(value))];
  }

  /** The slot holding `value`, or the empty slot where it would go. */
  #slotOf(value: string, hash: number): number {
    let slot = hash & this.#mask;
    for (;;) {
      const id = this.#slots[slot];
      if (id === EMPTY || (this.#hashes[id] === hash && this.#strings[id] === value)) return slot;
      slot = (slot + 1) & this.#mask;
    }
  }

  /**
   * The id of the printable-ASCII name (no `"`, no `\`) in `bytes[start, end)`, whose hash the caller
   * computed while scanning it. Such a name's JSON form is the bytes in quotes, and no other name's
   * JSON form can look like that, so comparing against the pool is exact.
   */
  idOfAscii(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const length = end - start;
    const pool = this.pool;
    let slot = hash & this.#mask;
    for (;;) {
      const id = this.#slots[slot];
      if (id === EMPTY) break;
      if (this.#hashes[id] === hash) {
        const from = this.jsonStart[id] + 1;
        if (this.jsonStart[id + 1] - from - 1 === length) {
          let k = 0;
          while (k < length && pool[from + k] === bytes[start + k]) k++;
          if (k === length) return id;
        }
      }
      slot = (slot + 1) & this.#mask;
    }
    const json = new Uint8Array(length + 2);
    json[0] = json[length + 1] = 0x22;
    json.set(bytes.subarray(start, end), 1);
    return this.#add(Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('latin1'), hash, slot, json);
  }

  string(id: number): string {
    return this.#strings[id];
  }

  get size(): number {
    return this.#strings.length;
  }

  /** Forgets the names interned from `size` on (those of a rejected batch; see clearSlots). */
  truncate(size: number): void {
    clearSlots(this.#slots, this.#mask, size, this.#strings.length, this.#hashOf);
    this.#strings.length = size;
  }

  readonly #hashOf = (id: number): number => this.#hashes[id];

  #add(value: string, hash: number, slot: number, json: Uint8Array): number {
    const id = this.#strings.length;
    this.#strings.push(value);
    if (id === this.#hashes.length) this.#hashes = grow(this.#hashes, id * 2);
    if (id + 2 > this.jsonStart.length) this.jsonStart = grow(this.jsonStart, id * 2 + 2);
    this.#hashes[id] = hash;
    const start = this.jsonStart[id];
    if (start + json.length > this.pool.length) {
      const pool = new Uint8Array(Math.max(this.pool.length * 2, start + json.length));
      pool.set(this.pool.subarray(0, start));
      this.pool = pool;
    }
    this.pool.set(json, start);
    this.jsonStart[id + 1] = start + json.length;
    this.#slots[slot] = id;
    // Load factor at most 1/2 keeps probes short.
    if ((id + 1) * 2 > this.#mask) this.#rehash();
    return id;
  }

  #rehash(): void {
    this.#slots = rebuildSlots((this.#mask + 1) * 2, this.#strings.length, this.#hashOf);
    this.#mask = this.#slots.length - 1;
  }
}

function grow(from: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const to = new Int32Array(length);
  to.set(from);
  return to;
}
