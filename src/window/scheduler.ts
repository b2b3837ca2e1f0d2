import type { Logger } from 'pino';
import type { MinuteCount } from '../counts/minute-count.js';
import type { CountsSink } from '../sinks/counts-sink.js';
import { MinuteWindow } from './minute-window.js';
import type { WindowCounter } from './window-counter.js';

export interface RotationOptions {
  intervalMs: number;
  sink: CountsSink;
  log: Logger;
  now?: () => number;
  /**
   * Counts windows somewhere other than this process's `window` (the cluster-wide counter of the
   * persistent mode). Unset: the local window is rotated and published, as in the in-memory mode.
   */
  counter?: WindowCounter;
}

/** Rotates the window at each wall-clock multiple of `intervalMs` (UTC minute boundaries by default). */
export class RotationScheduler {
  readonly window: MinuteWindow;
  readonly #intervalMs: number;
  readonly #sink: CountsSink;
  readonly #log: Logger;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  /** Start of the open window. */
  #current: number;
  #pending = new Set<Promise<void>>();
  readonly #counter: WindowCounter | undefined;
  // Rotations of a shared counter run one after another, even when one outlasts a short window.
  #counting: Promise<void> = Promise.resolve();

  constructor({ intervalMs, sink, log, now = Date.now, counter }: RotationOptions) {
    this.#counter = counter;
    this.#intervalMs = intervalMs;
    this.#sink = sink;
    this.#log = log;
    this.#now = now;
    this.#current = this.#boundaryAtOrBefore(now());
    this.window = new MinuteWindow(this.#current);
  }

  start(): void {
    // Start-up may have crossed a boundary since construction: close that window first.
    this.#rotateAt(this.#boundaryAtOrBefore(this.#now()));
    this.#schedule();
  }

  /** Stops rotating and publishes the current, partial window. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#rotate(this.#now(), true);
    await this.#counting;
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
    this.#rotate(boundary, false);
    this.#current = boundary;
  }

  #rotate(at: number, partial: boolean): void {
    const counter = this.#counter;
    if (!counter) {
      this.#publish(this.window.rotate(at, partial));
      return;
    }
    this.#counting = this.#counting
      .then(() => counter.rotate(at, partial, (count) => this.#sink.publish(count)))
      .catch((err: unknown) =>
        this.#log.error({ err }, 'could not count the closed window; retried at the next boundary'),
      );
  }

  #publish(count: MinuteCount): void {
    const sent = this.#sink
      .publish(count)
      .catch((err: unknown) => this.#log.error({ err, counts: count }, 'could not publish minute counts'))
      .finally(() => this.#pending.delete(sent));
    this.#pending.add(sent);
  }

  #boundaryAtOrBefore(time: number): number {
    return Math.floor(time / this.#intervalMs) * this.#intervalMs;
  }
}
