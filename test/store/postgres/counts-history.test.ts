import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_KEPT_COUNTS } from '../../../src/counts/counts-history.js';
import type { MinuteCount } from '../../../src/counts/minute-count.js';
import { recordingSink } from '../../../src/sinks/recording-sink.js';
import { openPostgresBackend } from '../../../src/store/postgres/open-postgres.js';
import { createPool } from '../../../src/store/postgres/pool.js';
import { record, silentLogger } from '../../support/helper.js';
import { countAt, iso, MINUTE, T0 } from '../../support/minute-counts.js';
import { freshDatabase, query } from '../../support/pg-db.js';

/** One service instance on the shared database: its backend, with a clock the test sets. */
async function instance(url: string, clock: { now: number }, retentionHours = 24) {
  const pool = createPool({ connectionString: url, max: 4, timeoutMs: 5000, onIdleError: () => {} });
  return openPostgresBackend({
    pool,
    log: silentLogger,
    intervalMs: MINUTE,
    now: () => clock.now,
    countsRetentionHours: retentionHours,
  });
}

describe('PostgreSQL count history (flow_minute_counts)', () => {
  let url: string;
  const clock = { now: T0 + 5_000 };
  let a: Awaited<ReturnType<typeof instance>>;
  let b: Awaited<ReturnType<typeof instance>>;
  beforeAll(async () => {
    url = await freshDatabase();
    a = await instance(url, clock, 1);
    b = await instance(url, clock, 1);
  });
  beforeEach(() => query(url, 'TRUNCATE flow_minute_counts'));
  afterAll(async () => {
    await a?.store.close();
    await b?.store.close();
  });

  it('keeps counts and answers [since, until) ascending; a re-publication overwrites its minute', async () => {
    for (let m = 0; m < 5; m++) await a.countsHistory.record(countAt(T0 + m * MINUTE, m));
    await a.countsHistory.record(countAt(T0 + 2 * MINUTE, 42));
    await b.countsHistory.record({ ...countAt(T0 + 5 * MINUTE, 1), partial: true });
    // Every count of the table is the cluster's, and comes back marked so.
    expect(await b.countsHistory.between(T0 + MINUTE, T0 + 3 * MINUTE)).toEqual([
      { ...countAt(T0 + MINUTE, 1), scope: 'cluster' },
      { ...countAt(T0 + 2 * MINUTE, 42), scope: 'cluster' },
    ]);
    expect(await a.countsHistory.between(T0 + 5 * MINUTE, T0 + 6 * MINUTE)).toEqual([
      { ...countAt(T0 + 5 * MINUTE, 1), partial: true, scope: 'cluster' },
    ]);
    expect(await query(url, 'SELECT count(*)::int AS n FROM flow_minute_counts')).toEqual([{ n: 6 }]);
  });

  it('keeps byte sums past 2^53-1 exact', async () => {
    const big = { ...countAt(T0), bytes_tx: 2n ** 60n + 1n, bytes_rx: 2n ** 53n } as unknown as MinuteCount;
    await a.countsHistory.record(big);
    const [kept] = await a.countsHistory.between(T0, T0 + MINUTE);
    expect(kept).toMatchObject({ bytes_tx: 2n ** 60n + 1n, bytes_rx: 2n ** 53n });
  });

  it('deletes counts older than the retention before the newest as it writes', async () => {
    for (const m of [0, 30, 61, 90]) await a.countsHistory.record(countAt(T0 + m * MINUTE));
    const rows = await query<{ minute: string }>(url, 'SELECT minute::text FROM flow_minute_counts ORDER BY 1');
    expect(rows.map((r) => (Number(r.minute) - T0) / MINUTE)).toEqual([30, 61, 90]);
  });

  it(`answers at most the newest ${MAX_KEPT_COUNTS} counts of a range`, async () => {
    await query(
      url,
      `INSERT INTO flow_minute_counts SELECT $1::bigint + i * 10, 1, i, 0, 0 FROM generate_series(0, $2::int - 1) i`,
      [T0, MAX_KEPT_COUNTS + 5],
    );
    const answer = await a.countsHistory.between(T0, T0 + MINUTE * 100);
    expect(answer).toHaveLength(MAX_KEPT_COUNTS);
    expect(answer[0].records).toBe(5);
    expect(answer.at(-1)?.records).toBe(MAX_KEPT_COUNTS + 4);
  });

  it('holds the cluster’s count once per window: only the instance that publishes it writes it', async () => {
    await Promise.all([
      a.store.ingest([record({ src_app: 'x', bytes_tx: 1, bytes_rx: 2 }), record({ src_app: 'y' })]),
      b.store.ingest([record({ src_app: 'x', bytes_tx: 10, bytes_rx: 20 })]),
    ]);
    const published: MinuteCount[] = [];
    const sink = { publish: async (c: MinuteCount) => void published.push(c), close: async () => {} };
    const window = { start: T0, end: T0 + MINUTE, partial: false };
    await Promise.all(
      [a, b].map((i) => i.counter.rotate(window, (c) => recordingSink(sink, i.countsHistory, silentLogger).publish(c))),
    );
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ minute: iso(T0), unique_flows: 2, records: 3 });
    expect(published[0].scope).toBe('cluster');
    expect(await b.countsHistory.between(T0, T0 + MINUTE)).toEqual(published);
  });
});
