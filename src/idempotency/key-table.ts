import { KeyDigest } from './key-digest.js';

/** Each slot is one 64-byte cache line: key digest (16 bytes), body fingerprint (8), 24 unused, count, expiry. */
const SLOT_BYTES = 64;
const KEY_WORDS = 4;
const FINGERPRINT_WORD = 4; // in int32s, two of them
/** A body fingerprint: four UTF-16 code units (BodyFingerprint). */
const FINGERPRINT_UNITS = 4;
const ACCEPTED_AT = 6; // in float64s
const EXPIRES_AT = 7;
const FIRST_SLOTS = 1024;
/** Index entries are pairs: the key digest's first word (its home, without reading the slot), slot + 1. */
const EMPTY = 0;
/** The count of a place left by a key reused after it expired: not in the index any more. */
const EMPTIED = -1;

/** What a key holds: its body's fingerprint and the number of records its batch applied. */
export interface HeldKey {
  fingerprint: string;
  accepted: number;
}

/**
 * Idempotency keys held off the JavaScript heap: each key as its 128-bit KeyDigest, with its body's
 * fingerprint (64 bits, BodyFingerprint), its batch's record count and its expiry. Kept as strings and
 * objects (lru-cache), a key took about 270 bytes of heap, promoted out of the young generation; here it
 * is no heap object, and a request touches about three cache lines of the table: an index entry, its
 * slot, and the oldest key's entry (bench/RESULTS.md, (h), third sitting).
 *
 * At most `capacity` keys: past that, the oldest key is forgotten first (insertion order; a repeat does
 * not renew a key). The slots start few and double up to the capacity, so memory follows the keys held:
 * about 80 bytes a key, 8 MB for 100,000. An open-addressing index (linear probing, deletion by backward
 * shift), at most half full, finds a key's slot.
 */
export class KeyTable {
  readonly #capacity: number;
  #slotCount: number;
  #slots: ArrayBuffer;
  #words: Int32Array;
  #floats: Float64Array;
  #index: Int32Array;
  #mask: number;
  /** Slots in use; a new key goes to slot `#used` until the table is full, then to `#oldest`. */
  #used = 0;
  #oldest = 0;
  /** The key whose digest `#digest` holds. */
  #lastKey: string | undefined;
  readonly #digest = new Int32Array(KEY_WORDS);
  readonly #keyDigest = new KeyDigest();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`a key table holds 1 key or more, not ${capacity}`);
    this.#capacity = capacity;
    this.#slotCount = Math.min(capacity, FIRST_SLOTS);
    this.#slots = new ArrayBuffer(this.#slotCount * SLOT_BYTES);
    this.#words = new Int32Array(this.#slots);
    this.#floats = new Float64Array(this.#slots);
    this.#index = new Int32Array(indexSize(this.#slotCount));
    this.#mask = this.#index.length / 2 - 1;
  }

  /** Places taken: keys held, expired ones included until they are forgotten. */
  get size(): number {
    return this.#used;
  }

  /** The key's body fingerprint and count, unless it is not held or has expired. */
  get(key: string, now: number): HeldKey | undefined {
    const slot = this.#slotOf(this.#digestOf(key));
    if (slot < 0 || this.#floats[slot * 8 + EXPIRES_AT] <= now) return undefined;
    const low = this.#words[slot * (SLOT_BYTES / 4) + FINGERPRINT_WORD];
    const high = this.#words[slot * (SLOT_BYTES / 4) + FINGERPRINT_WORD + 1];
    return {
      fingerprint: String.fromCharCode(low & 0xffff, low >>> 16, high & 0xffff, high >>> 16),
      accepted: this.#floats[slot * 8 + ACCEPTED_AT],
    };
  }

  /**
   * Holds `key` until `expiresAt` (epoch ms). A key held and live is overwritten in its place; one reused
   * after it expired takes a new place, the newest, so that it is not the next to be forgotten, and its old
   * place stays empty until the oldest keys reach it.
   */
  set(key: string, fingerprint: string, accepted: number, expiresAt: number, now: number): void {
    if (fingerprint.length !== FINGERPRINT_UNITS) throw new RangeError('a body fingerprint is four UTF-16 code units');
    // A request looks its key up, then records it: the digest `get` made for the very same key is reused.
    // (`get` itself does not look: comparing a new key with the previous one, most often as long, costs a
    // character-by-character comparison and a flatten of the key for nothing.)
    const digest = key === this.#lastKey ? this.#digest : this.#digestOf(key);
    let slot = this.#slotOf(digest);
    if (slot >= 0 && this.#floats[slot * 8 + EXPIRES_AT] <= now) {
      this.#remove(slot);
      this.#floats[slot * 8 + ACCEPTED_AT] = EMPTIED;
      slot = -1;
    }
    if (slot < 0) {
      slot = this.#freeSlot();
      const digestAt = slot * (SLOT_BYTES / 4);
      for (let word = 0; word < KEY_WORDS; word++) this.#words[digestAt + word] = digest[word];
      this.#insert(digest[0], slot);
    }
    const at = slot * (SLOT_BYTES / 4) + FINGERPRINT_WORD;
    this.#words[at] = fingerprint.charCodeAt(0) | (fingerprint.charCodeAt(1) << 16);
    this.#words[at + 1] = fingerprint.charCodeAt(2) | (fingerprint.charCodeAt(3) << 16);
    this.#floats[slot * 8 + ACCEPTED_AT] = accepted;
    this.#floats[slot * 8 + EXPIRES_AT] = expiresAt;
  }

  #digestOf(key: string): Int32Array {
    this.#keyDigest.digest(key, this.#digest);
    this.#lastKey = key;
    return this.#digest;
  }

  /** The slot holding `digest`, or -1. */
  #slotOf(digest: Int32Array): number {
    const index = this.#index;
    const words = this.#words;
    for (let position = digest[0] & this.#mask; ; position = (position + 1) & this.#mask) {
      const entry = index[position * 2 + 1];
      if (entry === EMPTY) return -1;
      if (index[position * 2] !== digest[0]) continue;
      const at = (entry - 1) * (SLOT_BYTES / 4);
      if (words[at + 1] === digest[1] && words[at + 2] === digest[2] && words[at + 3] === digest[3]) return entry - 1;
    }
  }

  #insert(home: number, slot: number): void {
    let position = home & this.#mask;
    while (this.#index[position * 2 + 1] !== EMPTY) position = (position + 1) & this.#mask;
    this.#index[position * 2] = home;
    this.#index[position * 2 + 1] = slot + 1;
  }

  /** A slot for a new key: an unused one, or the oldest key's, which is forgotten. */
  #freeSlot(): number {
    if (this.#used < this.#capacity) {
      if (this.#used === this.#slotCount) this.#grow();
      return this.#used++;
    }
    const slot = this.#oldest;
    this.#oldest = (slot + 1) % this.#capacity;
    if (this.#floats[slot * 8 + ACCEPTED_AT] !== EMPTIED) this.#remove(slot);
    return slot;
  }

  /** Takes `slot` out of the index, moving back the entries its position had pushed further. */
  #remove(slot: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let hole = this.#words[slot * (SLOT_BYTES / 4)] & mask;
    while (index[hole * 2 + 1] !== slot + 1) hole = (hole + 1) & mask;
    for (let position = (hole + 1) & mask; index[position * 2 + 1] !== EMPTY; position = (position + 1) & mask) {
      const home = index[position * 2] & mask;
      // The entry may move into the hole unless its home lies cyclically after the hole.
      const stays = hole <= position ? hole < home && home <= position : hole < home || home <= position;
      if (!stays) {
        index[hole * 2] = index[position * 2];
        index[hole * 2 + 1] = index[position * 2 + 1];
        hole = position;
      }
    }
    index[hole * 2] = 0;
    index[hole * 2 + 1] = EMPTY;
  }

  #grow(): void {
    const slotCount = Math.min(this.#capacity, this.#slotCount * 2);
    const slots = new ArrayBuffer(slotCount * SLOT_BYTES);
    new Uint8Array(slots).set(new Uint8Array(this.#slots));
    this.#slotCount = slotCount;
    this.#slots = slots;
    this.#words = new Int32Array(slots);
    this.#floats = new Float64Array(slots);
    this.#index = new Int32Array(indexSize(slotCount));
    this.#mask = this.#index.length / 2 - 1;
    for (let slot = 0; slot < this.#used; slot++) {
      if (this.#floats[slot * 8 + ACCEPTED_AT] !== EMPTIED) this.#insert(this.#words[slot * (SLOT_BYTES / 4)], slot);
    }
  }
}

/** Two int32s for each position, and a power of two of positions at least twice the slots. */
function indexSize(slots: number): number {
  return 2 * 2 ** Math.ceil(Math.log2(Math.max(2, slots * 2)));
}
