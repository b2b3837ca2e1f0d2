import { addExact, type ExactInteger, ExactSum, exact } from '../../queries/exact-integer.js';
import { grown } from './grown.js';
import { EMPTY, rebuildSlots } from './linear-probing.js';

/** Int32s per group key: src, dest, vpc name ids, hour. */
export const GROUP_KEY_INTS = 4;

/**
 * Sums per group for `GET /flows/top`: an open-addressing table keyed by four int32s (src, dest, vpc
 * name ids and hour; a dimension not grouped by is 0 for every group). Totals are doubles while they
 * stay below 2^53; what passes that moves into a bigint per group (`#high`), so the sums stay exact and
 * the common case allocates nothing per flow.
 */
export class GroupTable {
  count = 0;
  keys = new Int32Array(64 * GROUP_KEY_INTS);
  #tx = new Float64Array(64);
  #rx = new Float64Array(64);
  #flows = new Float64Array(64);
  /** Per group that passed 2^53-1: the bigint parts of bytes_tx and bytes_rx. */
  readonly #high = new Map<number, [bigint, bigint]>();
  #slots = new Int32Array(128).fill(EMPTY);
  #mask = 127;

  /** Adds one flow-hour's totals to its group, creating the group when new. */
  add(src: number, dest: number, vpc: number, hour: number, tx: number, rx: number): void {
    const g = this.#indexOf(src, dest, vpc, hour);
    const sumTx = this.#tx[g] + tx;
    const sumRx = this.#rx[g] + rx;
    this.#flows[g]++;
    // Addends are exact and at most 2^53-1: a rounded sum at or under 2^53-1 is the exact sum.
    if (sumTx <= Number.MAX_SAFE_INTEGER && sumRx <= Number.MAX_SAFE_INTEGER) {
      this.#tx[g] = sumTx;
      this.#rx[g] = sumRx;
    } else this.#spill(g, tx, rx);
  }

  bytesTx(g: number): ExactInteger {
    const high = this.#high.get(g);
    return high ? exact(high[0] + BigInt(this.#tx[g])) : this.#tx[g];
  }

  bytesRx(g: number): ExactInteger {
    const high = this.#high.get(g);
    return high ? exact(high[1] + BigInt(this.#rx[g])) : this.#rx[g];
  }

  bytes(g: number): ExactInteger {
    return addExact(this.bytesTx(g), this.bytesRx(g));
  }

  flows(g: number): number {
    return this.#flows[g];
  }

  /** Sums over every group. */
  total(): { bytes_tx: ExactInteger; bytes_rx: ExactInteger; flows: number } {
    const tx = new ExactSum();
    const rx = new ExactSum();
    let flows = 0;
    for (let g = 0; g < this.count; g++) {
      tx.add(this.#tx[g]);
      rx.add(this.#rx[g]);
      flows += this.#flows[g];
    }
    let bytes_tx = tx.value;
    let bytes_rx = rx.value;
    for (const [highTx, highRx] of this.#high.values()) {
      bytes_tx = addExact(bytes_tx, exact(highTx));
      bytes_rx = addExact(bytes_rx, exact(highRx));
    }
    return { bytes_tx, bytes_rx, flows };
  }

  #spill(g: number, tx: number, rx: number): void {
    const high = this.#high.get(g) ?? [0n, 0n];
    high[0] += BigInt(this.#tx[g]) + BigInt(tx);
    high[1] += BigInt(this.#rx[g]) + BigInt(rx);
    this.#high.set(g, high);
    this.#tx[g] = 0;
    this.#rx[g] = 0;
  }

  #indexOf(src: number, dest: number, vpc: number, hour: number): number {
    const keys = this.keys;
    let slot = hash(src, dest, vpc, hour) & this.#mask;
    for (;;) {
      const g = this.#slots[slot];
      if (g === EMPTY) break;
      const k = g * GROUP_KEY_INTS;
      if (keys[k] === src && keys[k + 1] === dest && keys[k + 2] === vpc && keys[k + 3] === hour) return g;
      slot = (slot + 1) & this.#mask;
    }
    const g = this.count++;
    if (g * GROUP_KEY_INTS === keys.length) this.#grow();
    const k = g * GROUP_KEY_INTS;
    this.keys[k] = src;
    this.keys[k + 1] = dest;
    this.keys[k + 2] = vpc;
    this.keys[k + 3] = hour;
    this.#slots[slot] = g;
    // Load factor at most 1/2 keeps probes short.
    if (this.count * 2 > this.#mask) this.#rehash();
    return g;
  }

  #grow(): void {
    const capacity = this.#tx.length * 2;
    const keys = new Int32Array(capacity * GROUP_KEY_INTS);
    keys.set(this.keys);
    this.keys = keys;
    this.#tx = grown(this.#tx, new Float64Array(capacity));
    this.#rx = grown(this.#rx, new Float64Array(capacity));
    this.#flows = grown(this.#flows, new Float64Array(capacity));
  }

  #rehash(): void {
    this.#slots = rebuildSlots((this.#mask + 1) * 2, this.count, this.#hashOf);
    this.#mask = this.#slots.length - 1;
  }

  readonly #hashOf = (g: number): number => {
    const k = g * GROUP_KEY_INTS;
    return hash(this.keys[k], this.keys[k + 1], this.keys[k + 2], this.keys[k + 3]);
  };
}

/** Each part mixed in, then MurmurHash3's finalizer: group keys are small, dense ids, often mostly zero. */
function hash(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a, 0xcc9e2d51);
  h = Math.imul(h ^ b ^ (h >>> 15), 0x1b873593);
  h = Math.imul(h ^ c ^ (h >>> 15), 0xcc9e2d51);
  h = Math.imul(h ^ d ^ (h >>> 15), 0x1b873593);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
