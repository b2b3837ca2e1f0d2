/**
 * Merges work submitted while a flush is running into the next flush: under load, many concurrent
 * requests share one database transaction (and one WAL flush); when idle, a lone request is flushed
 * at once. Each submitter's promise settles with its own outcome from `flush`.
 */
export interface GroupItem<T> {
  value: T;
  size: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export type FlushGroup<T> = (items: GroupItem<T>[]) => Promise<void>;

export class GroupCommitter<T> {
  readonly #flush: FlushGroup<T>;
  readonly #maxGroupSize: number;
  #queue: GroupItem<T>[] = [];
  #running = false;
  #idle: Promise<void> = Promise.resolve();

  /** `maxGroupSize` bounds one transaction (in records), so a burst cannot build an unbounded statement. */
  constructor(flush: FlushGroup<T>, maxGroupSize: number) {
    this.#flush = flush;
    this.#maxGroupSize = maxGroupSize;
  }

  submit(value: T, size: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ value, size, resolve, reject });
      if (!this.#running) this.#idle = this.#drain();
    });
  }

  /** Resolves when everything submitted so far has been flushed. */
  drained(): Promise<void> {
    return this.#idle;
  }

  async #drain(): Promise<void> {
    this.#running = true;
    // Let the requests parsed in the same event-loop turn join the first group.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.#queue.length > 0) {
        const group = this.#take();
        try {
          await this.#flush(group);
        } catch (err) {
          // `flush` settles its items itself; this only guards against a bug leaving them pending.
          for (const item of group) item.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  #take(): GroupItem<T>[] {
    let size = 0;
    let count = 0;
    while (count < this.#queue.length && (count === 0 || size + this.#queue[count].size <= this.#maxGroupSize)) {
      size += this.#queue[count].size;
      count++;
    }
    const group = this.#queue.splice(0, count);
    return group;
  }
}
