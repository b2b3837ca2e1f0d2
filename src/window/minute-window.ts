import type { MinuteCount } from '../counts/minute-count.js';

export type FlowKey = number | string;

class WindowSet {
  readonly keys = new Set<FlowKey>();
  /**
   * Dense flow ids (0, 1, 2, ... as a store hands them out) as one bit each: a Set of numbers costs
   * tens of bytes per flow and a hash per record, which at millions of flows a minute is most of the
   * memory and a good part of the ingest time.
   */
  seen = new Int32Array(1024);
  seenCount = 0;
  /** Words of `seen` that may hold bits, so clearing touches only those. */
  seenWords = 0;
  records = 0;
  bytesTx = 0;
  bytesRx = 0;

  get unique(): number {
    return this.keys.size + this.seenCount;
  }

  clear(): void {
    this.keys.clear();
    this.seen.fill(0, 0, this.seenWords);
    this.seenCount = 0;
    this.seenWords = 0;
    this.records = 0;
    this.bytesTx = 0;
    this.bytesRx = 0;
  }
}

/**
 * Primary and secondary sets of flow keys. Writes go to the primary; `rotate` swaps the two in one
 * step, counts the now-inactive set and clears it, so a record is counted in exactly one window.
 */
export class MinuteWindow {
  #primary = new WindowSet();
  #secondary = new WindowSet();
  #startedAt: number;

  constructor(startedAt: number) {
    this.#startedAt = startedAt;
  }

  record(key: FlowKey, bytesTx: number, bytesRx: number): void {
    const set = this.#primary;
    set.keys.add(key);
    set.records++;
    set.bytesTx += bytesTx;
    set.bytesRx += bytesRx;
  }

  /** Like `record`, for a store whose flow keys are small dense integers (the in-memory store). */
  recordFlowId(id: number, bytesTx: number, bytesRx: number): void {
    const set = this.#primary;
    const word = id >>> 5;
    if (word >= set.seen.length) {
      const seen = new Int32Array(Math.max(set.seen.length * 2, word + 1));
      seen.set(set.seen);
      set.seen = seen;
    }
    const bit = 1 << (id & 31);
    if ((set.seen[word] & bit) === 0) {
      set.seen[word] |= bit;
      set.seenCount++;
      if (word >= set.seenWords) set.seenWords = word + 1;
    }
    set.records++;
    set.bytesTx += bytesTx;
    set.bytesRx += bytesRx;
  }

  /** Closes the current window at `now` and opens the next one. */
  rotate(now: number, partial = false): MinuteCount {
    const closed = this.#primary;
    this.#primary = this.#secondary;
    this.#secondary = closed;
    const count: MinuteCount = {
      minute: new Date(this.#startedAt).toISOString(),
      unique_flows: closed.unique,
      records: closed.records,
      bytes_tx: closed.bytesTx,
      bytes_rx: closed.bytesRx,
    };
    if (partial) count.partial = true;
    closed.clear();
    this.#startedAt = now;
    return count;
  }
}
