import { HourExpiredError } from '../errors.js';

/**
 * RETENTION_HOURS as both stores apply it. Hours older than the newest hour seen minus the retention are
 * dropped, and a batch holding such an hour is refused whole. The batch is judged against the newest hour
 * as it will be once the batch is applied: a batch that brings a newer hour is judged by that hour, so no
 * record is acknowledged and then dropped because of its own batch. The outcome depends only on the
 * newest hour before the batch and on the batch itself.
 *
 * Throws HourExpiredError naming the first record whose hour would be expired; otherwise returns the
 * newest hour after the batch (`newest` when the batch is empty). `newest` is -1 before any hour was seen.
 */
export function checkRetention(
  hours: ArrayLike<number>,
  length: number,
  newest: number,
  retentionHours: number,
): number {
  let after = newest;
  for (let i = 0; i < length; i++) if (hours[i] > after) after = hours[i];
  const oldestKept = after - retentionHours;
  if (oldestKept <= 0) return after;
  for (let i = 0; i < length; i++) {
    if (hours[i] < oldestKept) throw new HourExpiredError(i, hours[i], oldestKept, after, retentionHours);
  }
  return after;
}

/** What `/ready` and `/metrics` report about retention. */
export interface RetentionStatus {
  retention_hours: number;
  /** The newest hour of an accepted batch; null before the first. */
  newest_hour: number | null;
  /** Hours before this one are dropped and refused. */
  oldest_hour_kept: number | null;
  /** Flow totals dropped by retention since start-up (in-memory: flows of dropped hours; PostgreSQL: rows deleted). */
  expired_total: number;
}

export function retentionStatus(retentionHours: number, newest: number, expiredTotal: number): RetentionStatus {
  return {
    retention_hours: retentionHours,
    newest_hour: newest < 0 ? null : newest,
    oldest_hour_kept: newest < 0 ? null : Math.max(0, newest - retentionHours),
    expired_total: expiredTotal,
  };
}
