import type { Exact } from './exact-json.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const FIRST_EPOCH_HOUR = Date.UTC(2000, 0, 1) / 3_600_000;

/** Bytes in SI units with three significant digits: `600 B`, `1.50 kB`, `15.0 MB`, `150 GB`. */
export function formatBytes(value: Exact): string {
  let scaled = Number(value);
  let unit = 0;
  while (scaled >= 999.5 && unit < UNITS.length - 1) {
    scaled /= 1000;
    unit++;
  }
  if (unit === 0) return `${scaled} B`;
  const digits = scaled >= 99.95 ? 0 : scaled >= 9.995 ? 1 : 2;
  return `${scaled.toFixed(digits)} ${UNITS[unit]}`;
}

/** An exact integer with thousands separators: `1,234,567`. */
export function formatInteger(value: Exact): string {
  return BigInt(value).toLocaleString('en-US');
}

/** Part of a whole as a percentage with one decimal; `–` when the whole is 0. */
export function formatShare(part: Exact, whole: Exact): string {
  const total = Number(whole);
  return total === 0 ? '–' : `${((Number(part) / total) * 100).toFixed(1)}%`;
}

/**
 * Whether hour numbers read as hours since the Unix epoch: agents usually send those, but the API takes
 * any integer, and hour 3 shown as 1970-01-01 03:00 would mislead.
 */
export function looksLikeEpochHours(fromHour: number): boolean {
  return fromHour >= FIRST_EPOCH_HOUR;
}

/** `2026-11-21 16:00` (UTC) for an epoch hour, else `hour 3`. */
export function formatHour(hour: number, epoch: boolean): string {
  if (!epoch) return `hour ${hour}`;
  return new Date(hour * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}

/** `16:37:05` (UTC) for an ISO time. */
export function formatClock(date: Date): string {
  return date.toISOString().slice(11, 19);
}
