/**
 * Remembers which (instance, minute) counts were already printed. A count is published once per
 * minute per instance, so a second one is a repeat (a retry or a replay after an outage). Memory is
 * bounded: repeats follow their original closely, so forgetting the oldest entries is safe.
 */
export class RepeatFilter {
  readonly #seen = new Set<string>();
  readonly #capacity: number;

  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }

  /** True when this count was seen before; otherwise remembers it. */
  isRepeat(minute: string, instance: string): boolean {
    const id = `${instance}\u0000${minute}`;
    if (this.#seen.has(id)) return true;
    this.#seen.add(id);
    // A Set iterates in insertion order, so its first entry is the oldest.
    if (this.#seen.size > this.#capacity) this.#seen.delete(this.#seen.values().next().value as string);
    return false;
  }
}
