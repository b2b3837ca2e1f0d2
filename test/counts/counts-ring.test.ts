import { describe, expect, it } from 'vitest';
import { CountsRing, ringCapacity } from '../../src/counts/counts-ring.js';
import { countAt, MINUTE, T0 } from '../support/minute-counts.js';

/** The count `minutes` after T0. */
const count = (minutes: number, records = minutes) => countAt(T0 + minutes * MINUTE, records);
const minutes = (counts: { minute: string }[]) => counts.map((c) => (Date.parse(c.minute) - T0) / MINUTE);

describe('CountsRing', () => {
  it('is sized for the retention at the window length, plus the partial window, and capped', () => {
    expect(ringCapacity(24, 60_000)).toBe(24 * 60 + 1);
    expect(ringCapacity(1, 1000)).toBe(3601);
    expect(ringCapacity(24, 10)).toBe(100_000);
  });

  it('answers the counts with since <= minute < until, ascending, as they were recorded', async () => {
    const ring = new CountsRing(100, 24);
    for (let m = 0; m < 10; m++) await ring.record(count(m));
    const answer = await ring.between(T0 + 2 * MINUTE, T0 + 5 * MINUTE);
    expect(answer).toEqual([count(2), count(3), count(4)]);
    expect(await ring.between(T0 + 10 * MINUTE, T0 + 20 * MINUTE)).toEqual([]);
    expect(await new CountsRing(10, 24).between(0, Date.now())).toEqual([]);
  });

  it('keeps only the newest `capacity` counts once full, still in order', async () => {
    const ring = new CountsRing(5, 24);
    for (let m = 0; m < 13; m++) await ring.record(count(m));
    expect(minutes(await ring.between(T0, T0 + 60 * MINUTE))).toEqual([8, 9, 10, 11, 12]);
  });

  it('replaces the newest count when the same minute is published again', async () => {
    const ring = new CountsRing(3, 24);
    await ring.record(count(0));
    await ring.record(count(1, 5));
    await ring.record(count(1, 7));
    for (let m = 2; m < 5; m++) await ring.record(count(m));
    await ring.record(count(4, 9));
    expect(await ring.between(T0, T0 + 60 * MINUTE)).toEqual([count(2), count(3), count(4, 9)]);
  });

  it('forgets counts older than the retention before the newest', async () => {
    const ring = new CountsRing(1000, 1);
    for (const m of [0, 30, 61, 90]) await ring.record(count(m));
    expect(minutes(await ring.between(T0, T0 + 120 * MINUTE))).toEqual([30, 61, 90]);
  });

  it('keeps a copy: the caller may reuse its object', async () => {
    const ring = new CountsRing(10, 24);
    const c = count(0);
    await ring.record(c);
    c.records = 999;
    expect((await ring.between(T0, T0 + MINUTE))[0].records).toBe(0);
  });
});
