import type { Logger } from 'pino';
import type { MinuteCount } from '../counts/minute-count.js';
import type { CountsSink } from '../sinks/counts-sink.js';
import type { WindowCounter } from './window-counter.js';

export interface RotationOptions {
  intervalMs: number;
  sink: CountsSink;
  log: Logger;
  /** This process's MinuteWindow (in-memory mode), or the cluster-wide counter (persistent mode). */
  counter: WindowCounter;
  now?: () => number;
}

/** Closes a window at each wall-clock multiple of `intervalMs` (UTC minute boundaries by default). */
export class RotationScheduler {
  readonly #intervalMs: number;
  readonly #sink: CountsSink;
  readonly #log: Logger;
  readonly #counter: WindowCounter;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  /** Start of the open window. */
  #current: number;
  #pending = new Set<Promise<void>>();
  #started = false;

  constructor({ intervalMs, sink, log, counter, now = Date.now }: RotationOptions) {
    this.#intervalMs = intervalMs;
    this.#sink = sink;
    this.#log = log;
    this.#counter = counter;
    this.#now = now;
    this.#current = this.#boundaryAtOrBefore(now());
  }

  start(): void {
    this.#started = true;
    // Start-up may have crossed a boundary since construction: close that window first.
    this.#rotateAt(this.#boundaryAtOrBefore(this.#now()));
    this.#schedule();
  }

  /**
   * Stops rotating, closes the current window as partial, and waits for every count to be published.
   * Never started (the process never served): publishes nothing.
   */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#started) return;
    this.#started = false;
    this.#close(this.#now(), true);
    await Promise.all(this.#pending);
  }

  #schedule(): void {
    // Computed afresh each time from the wall clock, so timer drift never accumulates.
    const next = this.#current + this.#intervalMs;
    this.#timer = setTimeout(() => {
      // A timer that fires a little early still closes the window at `next`; one that fires late
      // (a stalled event loop) closes it at the latest boundary, so the count covers the stall.
      this.#rotateAt(Math.max(next, this.#boundaryAtOrBefore(this.#now())));
      this.#schedule();
    }, next - this.#now());
    this.#timer.unref();
  }

  #rotateAt(boundary: number): void {
    if (boundary <= this.#current) return;
    this.#close(boundary, false);
    this.#current = boundary;
  }

  #close(end: number, partial: boolean): void {
    let unpublished: MinuteCount | undefined;
    const publish = async (count: MinuteCount) => {
      try {
        await this.#sink.publish(count);
      } catch (err) {
        unpublished = count;
        throw err;
      }
    };
    // Logged with the count itself when the sink refused it: in the in-memory mode the log is then its
    // only record. The cluster counter keeps what it could not publish and retries at the next boundary.
    const closed = this.#counter
      .rotate({ start: this.#current, end, partial }, publish)
      .catch((err: unknown) => this.#log.error({ err, counts: unpublished }, 'could not count or publish a window'))
      .finally(() => this.#pending.delete(closed));
    this.#pending.add(closed);
  }

  #boundaryAtOrBefore(time: number): number {
    return Math.floor(time / this.#intervalMs) * this.#intervalMs;
  }
}
