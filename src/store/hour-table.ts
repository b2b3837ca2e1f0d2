/**
 * The flows of one hour: an open-addressing hash table over interned (src, dest, vpc) ids, with the
 * totals in parallel typed arrays. About 40 bytes per flow, against ~230 for a Map of objects keyed
 * by concatenated strings, and no allocation per record once the arrays have grown.
 */
const EMPTY = -1;
const INITIAL_FLOWS = 64;

export class HourTable {
  count = 0;
  src = new Int32Array(INITIAL_FLOWS);
  dest = new Int32Array(INITIAL_FLOWS);
  vpc = new Int32Array(INITIAL_FLOWS);
  tx = new Float64Array(INITIAL_FLOWS);
  rx = new Float64Array(INITIAL_FLOWS);
  /** Store-wide flow id, so the minute window can count distinct flows across hours. */
  flowId = new Int32Array(INITIAL_FLOWS);
  #slots = new Int32Array(INITIAL_FLOWS * 2).fill(EMPTY);
  #mask = INITIAL_FLOWS * 2 - 1;

  /** Index of the flow, inserting it with zero totals when new. */
  indexOf(src: number, dest: number, vpc: number, newFlowId: () => number): number {
    let slot = hash(src, dest, vpc) & this.#mask;
    for (;;) {
      const index = this.#slots[slot];
      if (index === EMPTY) break;
      if (this.src[index] === src && this.dest[index] === dest && this.vpc[index] === vpc) return index;
      slot = (slot + 1) & this.#mask;
    }
    if (this.count === this.tx.length) {
      this.#growFlows();
      return this.indexOf(src, dest, vpc, newFlowId);
    }
    const index = this.count++;
    this.#slots[slot] = index;
    this.src[index] = src;
    this.dest[index] = dest;
    this.vpc[index] = vpc;
    this.tx[index] = 0;
    this.rx[index] = 0;
    this.flowId[index] = newFlowId();
    return index;
  }

  /**
   * Forgets the flows from `count` on. Only valid for the most recently inserted flows: no flow
   * inserted before them can have probed past their slots, so clearing those slots keeps every
   * remaining probe chain intact.
   */
  truncate(count: number): void {
    for (let index = this.count - 1; index >= count; index--) {
      let slot = hash(this.src[index], this.dest[index], this.vpc[index]) & this.#mask;
      while (this.#slots[slot] !== index) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = EMPTY;
    }
    this.count = count;
  }

  get bytes(): number {
    return this.#slots.byteLength + this.tx.length * 32;
  }

  #growFlows(): void {
    const capacity = this.tx.length * 2;
    this.src = grow(this.src, new Int32Array(capacity));
    this.dest = grow(this.dest, new Int32Array(capacity));
    this.vpc = grow(this.vpc, new Int32Array(capacity));
    this.tx = grow(this.tx, new Float64Array(capacity));
    this.rx = grow(this.rx, new Float64Array(capacity));
    this.flowId = grow(this.flowId, new Int32Array(capacity));
    // Load factor stays at or under 1/2, which keeps linear probes short.
    this.#slots = new Int32Array(capacity * 2).fill(EMPTY);
    this.#mask = capacity * 2 - 1;
    for (let index = 0; index < this.count; index++) {
      let slot = hash(this.src[index], this.dest[index], this.vpc[index]) & this.#mask;
      while (this.#slots[slot] !== EMPTY) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = index;
    }
  }
}

function grow<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function hash(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ b ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ c ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}
