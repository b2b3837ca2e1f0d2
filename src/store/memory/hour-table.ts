import { clearSlots, EMPTY, rebuildSlots } from './linear-probing.js';

/**
 * The flows of one hour: an open-addressing hash table over interned (src, dest, vpc) ids. Each flow
 * is one 32-byte record in a single buffer, seen through two views: int32 src, dest, vpc, flow id,
 * then float64 bytes_tx, bytes_rx. Key and totals share a cache line, so finding and adding to a flow
 * costs about two cache misses even when the table is far larger than the caches.
 * 40 bytes per slot (about 42 per flow at 1M flows), against ~230 for a Map of objects keyed by
 * concatenated strings, and no allocation per record once the buffer has grown.
 */
const INITIAL_FLOWS = 64;
export const FLOW_BYTES = 32;
/** Int32s per flow in `keys`: src, dest, vpc, store-wide flow id, then the totals' 16 bytes. */
export const KEY_INTS = FLOW_BYTES / 4;
/** Flow `index`'s bytes_tx is `totals[index * TOTAL_DOUBLES + TX]`, and bytes_rx the next one. */
export const TOTAL_DOUBLES = FLOW_BYTES / 8;
export const TX = 2;

export class HourTable {
  count = 0;
  /** Per flow: src, dest, vpc name ids, then the store-wide flow id (for the minute window). */
  keys: Int32Array<ArrayBuffer>;
  /** The same buffer: per flow, bytes_tx and bytes_rx. Doubles hold every integer up to 2^53 exactly. */
  totals: Float64Array<ArrayBuffer>;
  /** Bumped by every batch applied to this hour, so a serialized copy knows when it is stale. */
  version = 0;
  /** `count` when the batch being applied first touched this table, or -1. */
  countAtBatchStart = -1;
  #slots = new Int32Array(INITIAL_FLOWS * 2).fill(EMPTY);
  #mask = INITIAL_FLOWS * 2 - 1;
  /** The buffer is also a snapshot's (see share): copy it before the next write. */
  #shared = false;

  constructor() {
    const flows = new ArrayBuffer(INITIAL_FLOWS * FLOW_BYTES);
    this.keys = new Int32Array(flows);
    this.totals = new Float64Array(flows);
  }

  /** Bytes of the buffer of a table of `count` flows: the capacity growth would have given it. */
  static bufferBytes(count: number): number {
    let capacity = INITIAL_FLOWS;
    while (capacity < count) capacity *= 2;
    return capacity * FLOW_BYTES;
  }

  /** A table over the first `count` flows in `flows` (of bufferBytes(count), laid out as `share` gives them). */
  static fromFlows(flows: ArrayBuffer, count: number): HourTable {
    const table = new HourTable();
    const capacity = flows.byteLength / FLOW_BYTES;
    table.keys = new Int32Array(flows);
    table.totals = new Float64Array(flows);
    table.count = count;
    table.#slots = rebuildSlots(capacity * 2, count, table.#hashOf);
    table.#mask = capacity * 2 - 1;
    return table;
  }

  /**
   * The flows as they are now, for a snapshot written in the background: the buffer is handed over as it
   * is and copied by the next write to this table instead (copy on write), so taking a snapshot copies
   * only the tables written while it is being saved.
   */
  share(): Uint8Array {
    this.#shared = true;
    return new Uint8Array(this.keys.buffer, 0, this.count * FLOW_BYTES);
  }

  /** Called before any write to the flows: takes a private copy if a snapshot holds the buffer. */
  own(): void {
    if (!this.#shared) return;
    const flows = this.keys.buffer.slice(0);
    this.keys = new Int32Array(flows);
    this.totals = new Float64Array(flows);
    this.#shared = false;
  }

  /** Index of the flow, or -1 when this table does not hold it. */
  find(src: number, dest: number, vpc: number): number {
    const keys = this.keys;
    let slot = hash(src, dest, vpc) & this.#mask;
    for (;;) {
      const index = this.#slots[slot];
      if (index === EMPTY) return -1;
      const k = index * KEY_INTS;
      if (keys[k] === src && keys[k + 1] === dest && keys[k + 2] === vpc) return index;
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Index of the flow, inserting it with zero totals and id `newFlowId` when new. */
  indexOf(src: number, dest: number, vpc: number, newFlowId: number): number {
    const keys = this.keys;
    const slots = this.#slots;
    const mask = this.#mask;
    let slot = hash(src, dest, vpc) & mask;
    for (;;) {
      const index = slots[slot];
      if (index === EMPTY) break;
      const k = index * KEY_INTS;
      if (keys[k] === src && keys[k + 1] === dest && keys[k + 2] === vpc) return index;
      slot = (slot + 1) & mask;
    }
    if (this.count * KEY_INTS === keys.length) {
      this.#grow();
      return this.indexOf(src, dest, vpc, newFlowId);
    }
    const index = this.count++;
    slots[slot] = index;
    const k = index * KEY_INTS;
    keys[k] = src;
    keys[k + 1] = dest;
    keys[k + 2] = vpc;
    keys[k + 3] = newFlowId;
    this.totals[index * TOTAL_DOUBLES + TX] = 0;
    this.totals[index * TOTAL_DOUBLES + TX + 1] = 0;
    return index;
  }

  /** Forgets the flows from `count` on; only the most recently inserted ones (see clearSlots). */
  truncate(count: number): void {
    clearSlots(this.#slots, this.#mask, count, this.count, this.#hashOf);
    this.count = count;
  }

  /** Gives every flow's names their new ids (`remap[old]`, see name-compaction.ts) and rehashes. */
  renumber(remap: Int32Array): void {
    // A snapshot being written holds the old ids with the old names.
    this.own();
    const keys = this.keys;
    for (let k = 0; k < this.count * KEY_INTS; k += KEY_INTS) {
      keys[k] = remap[keys[k]];
      keys[k + 1] = remap[keys[k + 1]];
      keys[k + 2] = remap[keys[k + 2]];
    }
    this.#slots = rebuildSlots(this.#slots.length, this.count, this.#hashOf);
  }

  readonly #hashOf = (index: number): number => {
    const k = index * KEY_INTS;
    return hash(this.keys[k], this.keys[k + 1], this.keys[k + 2]);
  };

  #grow(): void {
    const capacity = (this.keys.length / KEY_INTS) * 2;
    const flows = new ArrayBuffer(capacity * FLOW_BYTES);
    new Uint8Array(flows).set(new Uint8Array(this.keys.buffer));
    this.keys = new Int32Array(flows);
    this.totals = new Float64Array(flows);
    this.#shared = false;
    // Load factor stays at or under 1/2, which keeps linear probes short.
    this.#slots = rebuildSlots(capacity * 2, this.count, this.#hashOf);
    this.#mask = capacity * 2 - 1;
  }
}

function hash(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ b ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ c ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}
