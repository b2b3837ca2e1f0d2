import type { PublishedCount } from '../counts/minute-count.js';

/**
 * Remembers which counts were already printed. A process's own count (in-memory mode) is published once
 * per minute per instance, so a second one with the same minute and instance is a repeat (a retry or a
 * replay after an outage). A cluster's count (persistent mode, `scope: "cluster"`) is published once per
 * minute for the whole cluster, by whichever instance counted it, so a second one with the same minute
 * is a repeat whatever its instance (a window published again by another or a restarted instance).
 * Memory is bounded: repeats follow their original closely, so forgetting the oldest entries is safe.
 */
export class RepeatFilter {
  readonly #seen = new Set<string>();
  readonly #capacity: number;

  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }

  /** True when this count was seen before; otherwise remembers it. */
  isRepeat(count: Pick<PublishedCount, 'minute' | 'instance' | 'scope'>): boolean {
    // NUL cannot be part of an instance name from the environment, so the two kinds of ids never meet.
    const id =
      count.scope === 'cluster' ? `\u0000cluster\u0000${count.minute}` : `${count.instance}\u0000${count.minute}`;
    if (this.#seen.has(id)) return true;
    this.#seen.add(id);
    // A Set iterates in insertion order, so its first entry is the oldest.
    if (this.#seen.size > this.#capacity) this.#seen.delete(this.#seen.values().next().value as string);
    return false;
  }
}
