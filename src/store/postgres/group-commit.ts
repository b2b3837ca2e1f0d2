/**
 * Merges work submitted while flushes are running into the next flush: under load, many concurrent
 * requests share one database transaction (and one WAL flush), and up to `lanes` transactions run at
 * once, so the database works while the process prepares the next group; when idle, a lone request is
 * flushed at once. Each submitter's promise settles with its own outcome from `flush`.
 *
 * Groups running at once never share a key: when the oldest queued work touches a key of a running group,
 * no new group starts until that one ends, and the next group then takes it with everything queued behind
 * it (merged: a flow touched by many batches is one row). So this process's transactions never wait for
 * each other's row locks, and work is taken in the order it came.
 */
export interface GroupItem<T> {
  value: T;
  size: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Flushes one group; `lane` (0 to lanes-1) is free for it alone until the returned promise settles. */
export type FlushGroup<T> = (items: GroupItem<T>[], lane: number) => Promise<void>;

export interface GroupOptions<T> {
  /** Most work in one group (in `size` units, records), so a burst cannot build an unbounded statement. */
  maxGroupSize: number;
  /** Groups flushed at once. */
  lanes?: number;
  /** The keys (rows) a piece of work touches. */
  keysOf: (value: T) => Iterable<string>;
}

export class GroupCommitter<T> {
  readonly #flush: FlushGroup<T>;
  readonly #o: GroupOptions<T>;
  readonly #freeLanes: number[];
  /** The keys of each running group. */
  readonly #busy = new Set<Set<string>>();
  #queue: GroupItem<T>[] = [];
  #scheduled = false;
  #running = 0;
  #idle: (() => void)[] = [];

  constructor(flush: FlushGroup<T>, options: GroupOptions<T>) {
    this.#flush = flush;
    this.#o = options;
    const lanes = options.lanes ?? 1;
    this.#freeLanes = Array.from({ length: lanes }, (_, lane) => lanes - 1 - lane);
  }

  submit(value: T, size: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ value, size, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves when everything submitted so far has been flushed. */
  drained(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#freeLanes.length === 0) return;
    this.#scheduled = true;
    // Let the requests parsed in the same event-loop turn join the group.
    setImmediate(() => {
      this.#scheduled = false;
      while (this.#freeLanes.length > 0 && this.#queue.length > 0 && this.#worthAnotherLane()) {
        const group = this.#take();
        if (group.length === 0) return;
        this.#run(group, this.#freeLanes.pop() ?? 0);
      }
    });
  }

  /**
   * A lane is always started when none runs; another one only when more work waits than one group takes.
   * Below that, the work is better merged into the next group of a running lane (a flow sent by several
   * batches is one row, and one commit serves them all); above it, the database works in parallel.
   */
  #worthAnotherLane(): boolean {
    if (this.#running === 0) return true;
    let queued = 0;
    for (const item of this.#queue) {
      queued += item.size;
      if (queued > this.#o.maxGroupSize) return true;
    }
    return false;
  }

  async #run(group: GroupItem<T>[], lane: number): Promise<void> {
    this.#running++;
    const keys = new Set<string>();
    for (const item of group) for (const key of this.#o.keysOf(item.value)) keys.add(key);
    this.#busy.add(keys);
    try {
      await this.#flush(group, lane);
    } catch (err) {
      // `flush` settles its items itself; this only guards against a bug leaving them pending.
      for (const item of group) item.reject(err);
    } finally {
      this.#busy.delete(keys);
      this.#running--;
      this.#freeLanes.push(lane);
      if (this.#queue.length > 0) this.#schedule();
      else if (this.#running === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** The oldest queued work, up to the size bound and up to the first piece touching a running group's keys. */
  #take(): GroupItem<T>[] {
    let size = 0;
    let count = 0;
    while (count < this.#queue.length) {
      const item = this.#queue[count];
      if (count > 0 && size + item.size > this.#o.maxGroupSize) break;
      if (this.#busy.size > 0 && this.#touchesBusy(item.value)) break;
      size += item.size;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  #touchesBusy(value: T): boolean {
    for (const key of this.#o.keysOf(value)) for (const keys of this.#busy) if (keys.has(key)) return true;
    return false;
  }
}
