import type { MinuteCount } from '../window/minute-window.js';

/** Where each closed window's count goes. `publish` must not lose a count it has resolved for. */
export interface CountsSink {
  publish(count: MinuteCount): Promise<void>;
  close(): Promise<void>;
}
