import type { ExactInteger } from '../queries/exact-integer.js';
import type { MinuteCount } from './minute-count.js';

/** A published count as `GET /counts` gives it back; byte sums may pass 2^53-1. */
export interface KeptCount extends Omit<MinuteCount, 'bytes_tx' | 'bytes_rx'> {
  bytes_tx: ExactInteger;
  bytes_rx: ExactInteger;
}

/** Most counts one `GET /counts` answer holds (the newest of the range), and most a memory ring keeps. */
export const MAX_KEPT_COUNTS = 100_000;

/**
 * The published minute counts, kept for COUNTS_RETENTION_HOURS: a ring in memory, a table in
 * PostgreSQL. Filled where counts are published (sinks/recording-sink.ts), never by counting again.
 */
export interface CountsHistory {
  /** Keeps a published count; a count for a minute already kept replaces it (a re-publication). */
  record(count: MinuteCount): Promise<void>;
  /** The kept counts with since <= minute < until (milliseconds), ascending; the newest MAX_KEPT_COUNTS. */
  between(since: number, until: number): Promise<KeptCount[]>;
}
