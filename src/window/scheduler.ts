import type { Logger } from 'pino';
import type { CountsSink } from '../sinks/counts-sink.js';
import { type MinuteCount, MinuteWindow } from './minute-window.js';

export interface RotationOptions {
  intervalMs: number;
  sink: CountsSink;
  log: Logger;
  now?: () => number;
}

/** Rotates the window at each wall-clock multiple of `intervalMs` (UTC minute boundaries by default). */
export class RotationScheduler {
  readonly window: MinuteWindow;
  readonly #intervalMs: number;
  readonly #sink: CountsSink;
  readonly #log: Logger;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #pending = new Set<Promise<void>>();

  constructor({ intervalMs, sink, log, now = Date.now }: RotationOptions) {
    this.#intervalMs = intervalMs;
    this.#sink = sink;
    this.#log = log;
    this.#now = now;
    this.window = new MinuteWindow(this.#boundaryAtOrBefore(now()));
  }

  start(): void {
    this.#schedule(this.#boundaryAtOrBefore(this.#now()));
  }

  /** Stops rotating and publishes the current, partial window. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#publish(this.window.rotate(this.#now(), true));
    await Promise.all(this.#pending);
  }

  /** `current` is the start of the open window; a timer that fires a little early cannot repeat it. */
  #schedule(current: number): void {
    // Computed afresh each time from the wall clock, so timer drift never accumulates.
    const next = Math.max(current, this.#boundaryAtOrBefore(this.#now())) + this.#intervalMs;
    this.#timer = setTimeout(() => {
      this.#publish(this.window.rotate(next));
      this.#schedule(next);
    }, next - this.#now());
    this.#timer.unref();
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
