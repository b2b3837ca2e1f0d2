import type { MinuteCount } from '../counts/minute-count.js';
import { ExactSum } from '../queries/exact-integer.js';
import type { ClosingWindow, WindowCounter } from './window-counter.js';

/**
 * One window's flows: dense flow ids (0, 1, 2, ... as the in-memory store hands them out) as one bit
 * each. A Set of numbers costs tens of bytes per flow and a hash per record, which at millions of flows
 * a minute is most of the memory and a good part of the ingest time.
 */
class WindowSet {
  seen = new Int32Array(1024);
  unique = 0;
  /** Words of `seen` that may hold bits, so clearing touches only those. */
  seenWords = 0;
  records = 0;
  bytesTx = new ExactSum();
  bytesRx = new ExactSum();

  clear(): void {
    this.seen.fill(0, 0, this.seenWords);
    this.unique = 0;
    this.seenWords = 0;
    this.records = 0;
    this.bytesTx = new ExactSum();
    this.bytesRx = new ExactSum();
  }
}

/**
 * The in-memory mode's minute counts: primary and secondary sets of flow ids. Writes go to the primary;
 * `rotate` swaps the two in one step, counts the now-inactive set and clears it, so a record is counted
 * in exactly one window.
 */
export class MinuteWindow implements WindowCounter {
  #primary = new WindowSet();
  #secondary = new WindowSet();
  /** Windows closed so far: a flow id dropped before a rotation is in no open window after it. */
  rotations = 0;

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
      set.unique++;
      if (word >= set.seenWords) set.seenWords = word + 1;
    }
    set.records++;
    set.bytesTx.add(bytesTx);
    set.bytesRx.add(bytesRx);
  }

  /** Swaps the sets before its first await, so a record written after the call counts in the next window. */
  async rotate({ start, partial }: ClosingWindow, publish: (count: MinuteCount) => Promise<void>): Promise<void> {
    const closed = this.#primary;
    this.#primary = this.#secondary;
    this.#secondary = closed;
    this.rotations++;
    const count: MinuteCount = {
      minute: new Date(start).toISOString(),
      unique_flows: closed.unique,
      records: closed.records,
      bytes_tx: closed.bytesTx.value,
      bytes_rx: closed.bytesRx.value,
    };
    if (partial) count.partial = true;
    closed.clear();
    await publish(count);
  }
}
