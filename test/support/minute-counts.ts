import type { MinuteCount } from '../../src/counts/minute-count.js';

export const MINUTE = 60_000;
/** A fixed minute the count-history tests start from. */
export const T0 = Date.UTC(2026, 10, 21, 16, 0);
export const iso = (ms: number) => new Date(ms).toISOString();

/** A count for the window starting at `at` (ms), its numbers derived from `records`. */
export const countAt = (at: number, records = 1): MinuteCount => ({
  minute: iso(at),
  unique_flows: records,
  records,
  bytes_tx: 10 * records,
  bytes_rx: 20 * records,
});
