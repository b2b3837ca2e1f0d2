import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/auth/api-keys.js';
import { CountsRing } from '../../src/counts/counts-ring.js';
import type { MinuteCount } from '../../src/counts/minute-count.js';
import { MemoryFlowStore } from '../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../src/window/minute-window.js';
import { expectValidationError } from '../support/expect-error.js';
import { build } from '../support/helper.js';
import { countAt, iso, MINUTE, T0 } from '../support/minute-counts.js';

const appOver = (history: CountsRing) =>
  build({ backend: { store: new MemoryFlowStore(new MinuteWindow()), countsHistory: history } }).app;

describe('GET /counts', () => {
  const history = new CountsRing(10_000, 24);
  const app = appOver(history);
  const get = (url: string) => app.inject({ method: 'GET', url });
  beforeAll(async () => {
    for (let m = 0; m < 90; m++) await history.record(countAt(T0 + m * MINUTE, m));
    await history.record({ ...countAt(T0 + 90 * MINUTE, 1), partial: true });
  });
  afterAll(() => app.close());

  it('answers the published counts of [since, until), ascending, with the range echoed in UTC', async () => {
    const res = await get(`/counts?since=${iso(T0 + 10 * MINUTE)}&until=2026-11-21T17:13:00%2B01:00`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      since: '2026-11-21T16:10:00.000Z',
      until: '2026-11-21T16:13:00.000Z',
      counts: [countAt(T0 + 10 * MINUTE, 10), countAt(T0 + 11 * MINUTE, 11), countAt(T0 + 12 * MINUTE, 12)],
    });
  });

  it('keeps the partial mark of a count cut short by shutdown', async () => {
    const res = await get(`/counts?since=${iso(T0 + 90 * MINUTE)}&until=${iso(T0 + 91 * MINUTE)}`);
    expect(res.json().counts).toEqual([{ ...countAt(T0 + 90 * MINUTE, 1), partial: true }]);
  });

  it('defaults to the last hour: until now, since an hour before until', async () => {
    const recent = new CountsRing(100, 24);
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    for (const at of [now - 120 * MINUTE, now - 2 * MINUTE, now - MINUTE]) await recent.record(countAt(at, 5));
    const other = appOver(recent);
    const body = (await other.inject('/counts')).json();
    expect(Date.parse(body.until) - Date.parse(body.since)).toBe(3_600_000);
    expect(Math.abs(Date.parse(body.until) - Date.now())).toBeLessThan(60_000);
    expect(body.counts).toEqual([countAt(now - 2 * MINUTE, 5), countAt(now - MINUTE, 5)]);
    const since = (await other.inject(`/counts?since=${iso(now - 2 * MINUTE)}`)).json();
    expect(since.counts).toHaveLength(2);
    await other.close();
    const until = (await get(`/counts?until=${iso(T0 + 61 * MINUTE)}`)).json();
    expect(until.counts.map((c: MinuteCount) => c.records)).toEqual(Array.from({ length: 60 }, (_, m) => m + 1));
  });

  it('writes byte sums past 2^53-1 exactly', async () => {
    const huge = new CountsRing(10, 24);
    const big = { ...countAt(T0), bytes_tx: 2n ** 60n, bytes_rx: 2n ** 53n + 1n };
    await huge.record(big as unknown as MinuteCount);
    const other = appOver(huge);
    const res = await other.inject(`/counts?since=${iso(T0)}&until=${iso(T0 + MINUTE)}`);
    expect(res.body).toContain(`"bytes_tx":${2n ** 60n},"bytes_rx":${2n ** 53n + 1n}`);
    await other.close();
  });

  it.each([
    ['since=yesterday', 'query parameter "since" must be an ISO 8601 time with a zone, such as 2026-11-21T16:00:00Z'],
    [
      'since=2026-11-21T16:00:00',
      'query parameter "since" must be an ISO 8601 time with a zone, such as 2026-11-21T16:00:00Z',
    ],
    ['until=2026-02-30T00:00:00Z', 'query parameter "until" is not a valid time: "2026-02-30T00:00:00Z"'],
    ['until=2026-13-01T00:00:00Z', 'query parameter "until" is not a valid time'],
    ['until=2026-01-01T24:00:00Z', 'query parameter "until" is not a valid time'],
    ['since=2026-11-21T17:00:00Z&until=2026-11-21T17:00:00Z', 'query parameter "since" must be before "until"'],
    ['since=2026-11-21T18:00:00Z&until=2026-11-21T17:00:00Z', 'query parameter "since" must be before "until"'],
    [
      'since=2026-11-20T16:00:00Z&until=2026-11-21T16:00:01Z',
      'the range since..until is longer than COUNTS_RETENTION_HOURS (24 hours)',
    ],
    ['minute=2026-11-21T17:00:00Z', 'unknown query parameter "minute"'],
  ])('%s is a 400 naming the problem', async (query, message) => {
    expectValidationError(await get(`/counts?${query}`), message);
  });

  it('answers from an empty history when the backend keeps none', async () => {
    const { app: bare } = build();
    const res = await bare.inject('/counts');
    expect(res.statusCode).toBe(200);
    expect(res.json().counts).toEqual([]);
    await bare.close();
  });

  it('needs a key with the query scope when authentication is on', async () => {
    const { app: guarded } = build({ apiKeys: new ApiKeys({ ingest: ['ingest-key-0123456789ab'], query: [] }) });
    const res = await guarded.inject({ url: '/counts', headers: { authorization: 'Bearer ingest-key-0123456789ab' } });
    expect(res.statusCode).toBe(403);
    await guarded.close();
  });
});
