import { type CountsHistory, type KeptCount, MAX_KEPT_COUNTS } from './counts-history.js';
import type { MinuteCount } from './minute-count.js';

/** Slots for `retentionHours` of windows of `intervalMs`, plus the partial one at shutdown, capped. */
export function ringCapacity(retentionHours: number, intervalMs: number): number {
  return Math.min(MAX_KEPT_COUNTS, Math.ceil((retentionHours * 3_600_000) / intervalMs) + 1);
}

/**
 * The in-memory mode's count history: a fixed ring of the newest counts. Counts arrive in minute
 * order (the scheduler publishes them so), so the ring is always sorted, oldest at `#start`.
 */
export class CountsRing implements CountsHistory {
  readonly #slots: { at: number; count: KeptCount }[] = [];
  readonly #capacity: number;
  readonly #retentionMs: number;
  #start = 0;

  constructor(capacity: number, retentionHours: number) {
    this.#capacity = capacity;
    this.#retentionMs = retentionHours * 3_600_000;
  }

  async record(count: MinuteCount): Promise<void> {
    const kept = { at: Date.parse(count.minute), count: { ...count } };
    const newest = this.#at(this.#slots.length - 1);
    if (newest && newest.at === kept.at) this.#slots[(this.#start + this.#slots.length - 1) % this.#capacity] = kept;
    else if (this.#slots.length < this.#capacity) this.#slots.push(kept);
    else {
      this.#slots[this.#start] = kept;
      this.#start = (this.#start + 1) % this.#capacity;
    }
  }

  async between(since: number, until: number): Promise<KeptCount[]> {
    const newest = this.#at(this.#slots.length - 1);
    if (!newest) return [];
    const from = Math.max(since, newest.at - this.#retentionMs);
    const counts: KeptCount[] = [];
    for (let i = 0; i < this.#slots.length; i++) {
      const { at, count } = this.#at(i) as { at: number; count: KeptCount };
      if (at >= from && at < until) counts.push(count);
    }
    return counts;
  }

  /** The i-th oldest kept count. */
  #at(i: number): { at: number; count: KeptCount } | undefined {
    return i < 0 ? undefined : this.#slots[(this.#start + i) % this.#capacity];
  }
}
