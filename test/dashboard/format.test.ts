import { describe, expect, test } from 'vitest';
import { parseExact, stringifyExact } from '../../src/dashboard/client/exact-json.js';
import {
  formatBytes,
  formatHour,
  formatInteger,
  formatShare,
  looksLikeEpochHours,
} from '../../src/dashboard/client/format.js';

describe('the dashboard formats', () => {
  test.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.00 kB'],
    [1500, '1.50 kB'],
    [39_003, '39.0 kB'],
    [999_499, '999 kB'],
    [999_500, '1.00 MB'],
    [150e9, '150 GB'],
    [2n ** 64n, '18.4 EB'],
  ])('bytes %s as %s', (value, text) => {
    expect(formatBytes(value)).toBe(text);
  });

  test('integers exactly, past 2^53 too', () => {
    expect(formatInteger(1234567)).toBe('1,234,567');
    expect(formatInteger(27021597764222973n)).toBe('27,021,597,764,222,973');
  });

  test('a share of a total, and none of nothing', () => {
    expect(formatShare(1, 3)).toBe('33.3%');
    expect(formatShare(0, 0)).toBe('–');
  });

  test('hours as UTC times only when they read as hours since the epoch', () => {
    expect(looksLikeEpochHours(3)).toBe(false);
    expect(formatHour(3, false)).toBe('hour 3');
    const hour = Date.UTC(2026, 10, 21, 16) / 3_600_000;
    expect(looksLikeEpochHours(hour)).toBe(true);
    expect(formatHour(hour, true)).toBe('2026-11-21 16:00');
  });

  test('JSON with bigints written back as digits', () => {
    expect(stringifyExact({ a: 27021597764222973n, b: 1 })).toBe('{"a":"27021597764222973","b":1}');
    // Node 20 has no reviver source text: safe integers stay numbers there as in the browser.
    expect(parseExact('{"a":1,"b":[2]}')).toEqual({ a: 1, b: [2] });
  });
});
