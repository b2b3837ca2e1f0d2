import type pg from 'pg';
import type { Logger } from 'pino';
import type { MinuteCount } from '../../counts/minute-count.js';
import type { ClosingWindow, WindowCounter } from '../../window/window-counter.js';
import type { FlowDelta, PreparedBatch } from './batch.js';
import { JOIN_SQL, LEAVE_SQL } from './count-statements.js';
import { emitWindows } from './emitter.js';
import type { StoreGuard } from './guard.js';
import { writeShare } from './share-writer.js';
import { type ShareSet, WindowShare } from './window-share.js';

export interface ClusterCounterOptions {
  pool: pg.Pool;
  intervalMs: number;
  log: Logger;
  /** This process's name in the shared tables; unique per process. */
  instance: string;
  guard: StoreGuard;
  now?: () => number;
  /** Distinct keys the open share may hold before they are written early, which bounds its memory. */
  spillKeys?: number;
  /**
   * An instance not heard of for this long has stopped without leaving, and is no longer waited for.
   * Every live instance writes its share at each boundary; by default two windows and ten seconds more
   * (clock skew, a slow write) pass before one is given up.
   */
  staleAfterMs?: number;
}

/** Shares kept for writing while the database refuses them. */
const MAX_PENDING = 60;

interface PendingShare {
  minute: number;
  keys: Map<string, FlowDelta>;
  /** Set for the share of a closed window; unset for keys written early. */
  stats?: ShareSet;
}

/**
 * Minute counts for a cluster of instances sharing one database, without a row per record: each instance
 * keeps its share of the open window in memory (its distinct keys, records and bytes of the batches it
 * committed), and at each boundary writes it once, then tries to publish (emitter.ts). A window is
 * published once for the whole cluster when every live instance has written its share of it. An
 * instance killed mid-window loses its share of that window's count (never any total); one that stops
 * normally writes its share of the open window before it leaves, so the others count it.
 */
export class ClusterWindowCounter implements WindowCounter {
  readonly #o: ClusterCounterOptions & { spillKeys: number; staleAfterMs: number };
  readonly #share = new WindowShare();
  readonly #pending: PendingShare[] = [];
  /** Start of the open window, where keys written early are filed. */
  #openStart: number;
  // Shares are written in order, one after another, and each rotation after the one before.
  #writing: Promise<unknown> = Promise.resolve();

  private constructor(options: ClusterCounterOptions) {
    this.#o = { spillKeys: 100_000, staleAfterMs: 2 * options.intervalMs + 10_000, ...options };
    const now = (options.now ?? Date.now)();
    this.#openStart = Math.floor(now / options.intervalMs) * options.intervalMs;
  }

  /** Joins the cluster: from the open window on, no window is published before this instance wrote its share. */
  static async join(options: ClusterCounterOptions): Promise<ClusterWindowCounter> {
    const counter = new ClusterWindowCounter(options);
    const { pool, instance, intervalMs, guard } = options;
    await guard.retrying(() => pool.query(JOIN_SQL, [instance, counter.#openStart - intervalMs]));
    return counter;
  }

  /** The batches of a committed transaction, in the window open now. */
  record(batches: readonly PreparedBatch[]): void {
    if (this.#share.record(batches) < this.#o.spillKeys) return;
    this.#pending.push({ minute: this.#openStart, keys: this.#share.takeKeys() });
    this.#then(() => this.#writePending()).catch((err: unknown) => {
      this.#o.log.warn({ err }, 'writing minute-count keys early failed; they are written at the next boundary');
    });
  }

  rotate({ start, end, partial }: ClosingWindow, publish: (count: MinuteCount) => Promise<void>): Promise<void> {
    // Before the first await: a batch committed from now on counts in the next window.
    const closed = this.#share.take();
    this.#pending.push({ minute: start, keys: closed.keys, stats: closed });
    this.#openStart = end;
    // Shares the database would not take for sixty windows are given up, so memory stays bounded.
    while (this.#pending.length > MAX_PENDING) {
      const lost = this.#pending.shift();
      this.#o.log.error({ minute: lost?.minute }, 'a minute-count share could not be written for too long; dropped');
    }
    return this.#then(async () => {
      await this.#writePending();
      // At shutdown the open window's share is written and this instance leaves: the others count it.
      if (partial) await this.#o.guard.retrying(() => this.#o.pool.query(LEAVE_SQL, [this.#o.instance]));
      else await emitWindows(this.#o, start, publish);
    });
  }

  #then(work: () => Promise<void>): Promise<void> {
    const done = this.#writing.then(work);
    this.#writing = done.catch(() => {});
    return done;
  }

  /** Writes the pending shares oldest first; one that fails stays, with those after it, for the next boundary. */
  async #writePending(): Promise<void> {
    while (this.#pending.length > 0) {
      const { minute, keys, stats } = this.#pending[0];
      await this.#o.guard.retrying(() => writeShare(this.#o, minute, keys.values(), stats));
      this.#pending.shift();
    }
  }
}
