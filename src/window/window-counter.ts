import type { MinuteCount } from '../counts/minute-count.js';

/**
 * What the scheduler drives at each window boundary. The in-memory mode rotates this process's own
 * MinuteWindow; the persistent mode counts the keys every instance shared through the database.
 */
export interface WindowCounter {
  /**
   * Closes the window ending at `at` and hands each count to `publish` (none when another instance
   * publishes them); a count is forgotten only after `publish` resolved. `partial`: closing at shutdown.
   */
  rotate(at: number, partial: boolean, publish: (count: MinuteCount) => Promise<void>): Promise<void>;
}
