import type { Api, HourTotals } from './api.js';
import { type HourRange, MAX_RANGE_HOURS } from './view-state.js';

export interface ResolvedRange {
  from: number;
  to: number;
  /** The hours of the range that have flows, ascending (the API's `/hours` answer). */
  hours: HourTotals[];
}

/**
 * The hour range to show, with its per-hour totals. For "the latest N hours with data" that is one
 * `/hours` request over the longest range the API takes, ending at the current UTC hour: the newest hour
 * in it ends the range. Undefined when that window has no flows at all.
 */
export async function resolveRange(api: Api, range: HourRange, now: Date): Promise<ResolvedRange | undefined> {
  if (range.kind === 'custom') {
    const answer = await api.hours(range.from, range.to);
    return { from: range.from, to: range.to, hours: answer.hours };
  }
  const nowHour = currentHour(now);
  const answer = await api.hours(Math.max(0, nowHour - MAX_RANGE_HOURS + 1), nowHour);
  const newest = answer.hours.at(-1)?.hour;
  if (newest === undefined) return undefined;
  const from = Math.max(0, newest - range.hours + 1);
  return { from, to: newest, hours: answer.hours.filter((entry) => entry.hour >= from) };
}

/** Hours since the Unix epoch, UTC. */
export function currentHour(now: Date): number {
  return Math.floor(now.getTime() / 3_600_000);
}
