/**
 * Merges work submitted while flushes are running into the next flush: under load, many concurrent
 * requests share one database transaction (and one WAL flush), and up to `lanes` transactions run at
 * once, so the database works while the process prepares the next group; when idle, a lone request is
 * flushed at once. Each submitter's promise settles with its own outcome from `flush`.
 *
 * Groups running at once never share a key: work that touches a key of a running group waits for the
 * next group, where it is merged with whatever else touches that key. Two of this process's transactions
 * therefore never wait for each other's row locks, and the database never holds a transaction blocked
 * on another one's commit while it already holds locks of its own.
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

/** Queued work looked at for each new group: bounds the scan while the queue is long. */
const SCAN_LIMIT = 256;

export class GroupCommitter<T> {
  readonly #flush: FlushGroup<T>;
  readonly #o: GroupOptions<T>;
  readonly #freeLanes: number[];
  /** Keys of the running groups, with how many running items hold each. */
  readonly #busy = new Map<string, number>();
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
      while (this.#freeLanes.length > 0 && this.#queue.length > 0) {
        const group = this.#take();
        if (group.length === 0) return;
        this.#run(group, this.#freeLanes.pop() ?? 0);
      }
    });
  }

  async #run(group: GroupItem<T>[], lane: number): Promise<void> {
    this.#running++;
    this.#hold(group, 1);
    try {
      await this.#flush(group, lane);
    } catch (err) {
      // `flush` settles its items itself; this only guards against a bug leaving them pending.
      for (const item of group) item.reject(err);
    } finally {
      this.#hold(group, -1);
      this.#running--;
      this.#freeLanes.push(lane);
      if (this.#queue.length > 0) this.#schedule();
      else if (this.#running === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /**
   * The oldest queued work that touches no running group's keys, up to the size bound. Work that has to
   * wait also holds back later work touching its keys, so it cannot be overtaken for ever.
   */
  #take(): GroupItem<T>[] {
    const group: GroupItem<T>[] = [];
    const waiting = new Set<string>();
    let size = 0;
    let scanned = 0;
    this.#queue = this.#queue.filter((item) => {
      if (scanned++ >= SCAN_LIMIT || (group.length > 0 && size + item.size > this.#o.maxGroupSize)) return true;
      const keys = [...this.#o.keysOf(item.value)];
      if (keys.some((key) => this.#busy.has(key) || waiting.has(key))) {
        for (const key of keys) waiting.add(key);
        return true;
      }
      group.push(item);
      size += item.size;
      return false;
    });
    return group;
  }

  #hold(group: GroupItem<T>[], delta: 1 | -1): void {
    for (const item of group) {
      for (const key of this.#o.keysOf(item.value)) {
        const held = (this.#busy.get(key) ?? 0) + delta;
        if (held === 0) this.#busy.delete(key);
        else this.#busy.set(key, held);
      }
    }
  }
}
