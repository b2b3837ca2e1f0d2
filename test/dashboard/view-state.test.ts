import { describe, expect, test } from 'vitest';
import { rangeProblem, readViewState, writeViewState } from '../../src/dashboard/client/view-state.js';

describe("the dashboard's URL state", () => {
  test('defaults: the latest 24 hours with data, top 10 source apps by bytes, counts of the last hour', () => {
    expect(readViewState('')).toEqual({
      range: { kind: 'latest', hours: 24 },
      by: ['src_app'],
      metric: 'bytes',
      limit: 10,
      countsHours: 1,
    });
  });

  test('a view survives the round trip through the URL', () => {
    const state = readViewState('?from_hour=5&to_hour=9&by=src_app,dest_app&metric=bytes_rx&limit=25&counts_hours=6');
    expect(state).toEqual({
      range: { kind: 'custom', from: 5, to: 9 },
      by: ['src_app', 'dest_app'],
      metric: 'bytes_rx',
      limit: 25,
      countsHours: 6,
    });
    expect(readViewState(writeViewState(state))).toEqual(state);
  });

  test('anything not offered by the page falls back to the default', () => {
    const state = readViewState('?from_hour=9&to_hour=5&by=hour;drop&metric=x&limit=1000000&counts_hours=-1&latest=7');
    expect(state).toEqual(readViewState(''));
    expect(readViewState('?from_hour=1e3&to_hour=2000').range.kind).toBe('latest');
  });

  test.each([
    [0, 743, undefined],
    [5, 4, '"from" must not be after "to"'],
    [0, 744, 'a range spans at most 744 hours'],
    [-1, 3, 'hours go from 0 to 2147483647'],
    [0, 2 ** 31, 'hours go from 0 to 2147483647'],
    [0.5, 3, 'hours are whole numbers'],
  ])('range %s..%s: %s', (from, to, problem) => {
    expect(rangeProblem(from, to)).toBe(problem);
  });
});
