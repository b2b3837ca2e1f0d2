/**
 * Store-wide flow ids (what the minute window marks, one bit each), reused once retention drops their
 * flows: ids stay below the number of flows held (plus those just dropped), so they never pass int32 and
 * the window's bitmap stays as small as the store, however long the process runs.
 *
 * An id dropped during a window may already be marked in it, and a new flow taking it in the same window
 * would not be counted as distinct. So dropped ids wait until the window has rotated once (its
 * `rotations` passed the one at the drop) before they are handed out again.
 */
export class FlowIds {
  #next = 0;
  #free = new Int32Array(64);
  #freeCount = 0;
  readonly #waiting: { ids: Int32Array; rotation: number }[] = [];

  /** The id the next new flow gets; `take` commits it. */
  peek(): number {
    return this.#freeCount > 0 ? this.#free[this.#freeCount - 1] : this.#next;
  }

  take(): void {
    if (this.#freeCount > 0) this.#freeCount--;
    else this.#next++;
  }

  /** An id taken by a batch that was then refused: never marked in a window, so free at once. */
  giveBack(id: number): void {
    if (this.#freeCount === this.#free.length) {
      const free = new Int32Array(this.#free.length * 2);
      free.set(this.#free);
      this.#free = free;
    }
    this.#free[this.#freeCount++] = id;
  }

  /** Ids of dropped flows, free once the window has rotated past `rotation`. */
  retire(ids: Int32Array, rotation: number): void {
    if (ids.length > 0) this.#waiting.push({ ids, rotation });
  }

  /** Frees the retired ids whose window has rotated since; cheap when there are none. */
  release(rotation: number): void {
    while (this.#waiting.length > 0 && this.#waiting[0].rotation < rotation) {
      const { ids } = this.#waiting.shift() as { ids: Int32Array };
      for (let i = ids.length - 1; i >= 0; i--) this.giveBack(ids[i]);
    }
  }

  /** Distinct ids minted so far: every id is below it, so the window's bitmap never needs more bits. */
  get highest(): number {
    return this.#next;
  }
}
