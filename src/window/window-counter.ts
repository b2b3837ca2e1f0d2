import type { MinuteCount } from '../counts/minute-count.js';

/** The window the scheduler closes: [start, end); `partial` when shutdown cuts it short. */
export interface ClosingWindow {
  start: number;
  end: number;
  partial: boolean;
}

/**
 * What the scheduler drives at each window boundary. The in-memory mode counts this process's flows
 * (MinuteWindow); the persistent mode counts what every instance wrote to the database
 * (store/postgres/cluster-counter.ts).
 */
export interface WindowCounter {
  /**
   * Closes the window and hands each count to `publish` (none when another instance publishes them); a
   * count is forgotten only after `publish` resolved. Called once per boundary, as it passes: a counter
   * that records locally must close its window before this returns, so later records count in the next.
   */
  rotate(window: ClosingWindow, publish: (count: MinuteCount) => Promise<void>): Promise<void>;
}
