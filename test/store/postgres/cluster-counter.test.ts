import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MinuteCount } from '../../../src/counts/minute-count.js';
import { openPostgresBackend, type PostgresBackendOptions } from '../../../src/store/postgres/open-postgres.js';
import { createPool } from '../../../src/store/postgres/pool.js';
import { record, silentLogger } from '../../support/helper.js';
import { freshDatabase, query } from '../../support/pg-db.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 21, 16, 37);
/** The window that starts at `start`, as the scheduler hands it over at its end. */
const closing = (start: number) => ({ start, end: start + MINUTE, partial: false });
const iso = (time: number) => new Date(time).toISOString();

/** One service instance's store and counter on the shared database, joined in the window of T0. */
async function instance(url: string, counting?: PostgresBackendOptions['counting']) {
  const pool = createPool({ connectionString: url, max: 4, timeoutMs: 5000, onIdleError: () => {} });
  return openPostgresBackend({ pool, log: silentLogger, intervalMs: MINUTE, now: () => T0 + 5_000, counting });
}

type Instance = Awaited<ReturnType<typeof instance>>;

function collector() {
  const published: MinuteCount[] = [];
  const publish = async (count: MinuteCount) => {
    published.push(count);
  };
  return { published, publish };
}

describe('cluster-wide minute counts', () => {
  let url: string;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    url = await freshDatabase();
    a = await instance(url);
    b = await instance(url);
  });
  afterAll(async () => {
    await a?.store.close();
    await b?.store.close();
  });

  it('counts every instance’s keys once, and publishes each window once for the cluster', async () => {
    await Promise.all([
      a.store.ingest([record({ src_app: 'x', bytes_tx: 1, bytes_rx: 2 }), record({ src_app: 'y', bytes_tx: 1 })]),
      b.store.ingest([record({ src_app: 'x', bytes_tx: 10, bytes_rx: 20 }), record({ src_app: 'z', hour: 2 })]),
    ]);
    const { published, publish } = collector();
    // Both instances reach the boundary at the same time; only one may publish.
    await Promise.all([a.counter.rotate(closing(T0), publish), b.counter.rotate(closing(T0), publish)]);
    expect(published).toEqual([
      {
        minute: iso(T0),
        unique_flows: 3,
        records: 4,
        bytes_tx: 1 + 1 + 10 + 100,
        bytes_rx: 2 + 500 + 20 + 500,
        scope: 'cluster',
      },
    ]);
    // A late boundary call for the same window publishes nothing more; the counted rows are pruned.
    await a.counter.rotate(closing(T0), publish);
    expect(published).toHaveLength(1);
    expect(await query(url, 'SELECT * FROM flow_minute_keys')).toEqual([]);
    expect(await query(url, 'SELECT * FROM flow_minute_stats')).toEqual([]);
  });

  it('writes no row per record: a window’s keys reach the database once, when it closes', async () => {
    await a.store.ingest([record({ src_app: 'p' }), record({ src_app: 'q' })]);
    await a.store.ingest([record({ src_app: 'p' })]);
    expect(await query(url, 'SELECT * FROM flow_minute_keys')).toEqual([]);
    const { published, publish } = collector();
    await a.counter.rotate(closing(T0 + MINUTE), publish);
    // b has not written its share of this window yet: nothing is published.
    expect(published).toEqual([]);
    expect(await query(url, 'SELECT src_app FROM flow_minute_keys ORDER BY 1')).toEqual([
      { src_app: 'p' },
      { src_app: 'q' },
    ]);
    // The last instance to write its share publishes the window.
    await b.counter.rotate(closing(T0 + MINUTE), publish);
    expect(published.map((c) => [c.minute, c.unique_flows, c.records])).toEqual([[iso(T0 + MINUTE), 2, 3]]);
  });

  it('publishes again a window whose publication failed, at the next boundary', async () => {
    await a.store.ingest([record({ src_app: 'retry' })]);
    await b.counter.rotate(closing(T0 + 2 * MINUTE), async () => {});
    await expect(
      a.counter.rotate(closing(T0 + 2 * MINUTE), async () => {
        throw new Error('sink down');
      }),
    ).rejects.toThrow('sink down');
    const { published, publish } = collector();
    await b.counter.rotate(closing(T0 + 3 * MINUTE), publish);
    await a.counter.rotate(closing(T0 + 3 * MINUTE), publish);
    expect(published.map((c) => [c.minute, c.unique_flows])).toEqual([
      [iso(T0 + 2 * MINUTE), 1],
      [iso(T0 + 3 * MINUTE), 0],
    ]);
  });

  it('publishes byte sums past 2^53-1 exactly, summed from every instance', async () => {
    const max = Number.MAX_SAFE_INTEGER;
    await a.store.ingest([record({ src_app: 'big-1', bytes_tx: max, bytes_rx: max })]);
    await b.store.ingest([record({ src_app: 'big-2', bytes_tx: max, bytes_rx: 4 })]);
    await a.counter.rotate(closing(T0 + 4 * MINUTE), async () => {});
    const { published, publish } = collector();
    await b.counter.rotate(closing(T0 + 4 * MINUTE), publish);
    expect(published).toEqual([
      {
        minute: iso(T0 + 4 * MINUTE),
        unique_flows: 2,
        records: 2,
        bytes_tx: 2n * BigInt(max),
        bytes_rx: BigInt(max) + 4n,
        scope: 'cluster',
      },
    ]);
  });

  it('at shutdown writes the open window’s share and leaves: the others count it and stop waiting', async () => {
    await b.store.ingest([record({ src_app: 'at-shutdown' })]);
    const { published, publish } = collector();
    await b.counter.rotate({ start: T0 + 5 * MINUTE, end: T0 + 5 * MINUTE + 5_000, partial: true }, publish);
    expect(published).toEqual([]);
    expect(await query(url, 'SELECT instance FROM flow_instances')).toEqual([{ instance: a.store.instance }]);
    await a.counter.rotate(closing(T0 + 5 * MINUTE), publish);
    expect(published.map((c) => [c.minute, c.unique_flows, c.records])).toEqual([[iso(T0 + 5 * MINUTE), 1, 1]]);
  });
});

describe('cluster-wide minute counts when an instance dies or lags', () => {
  let url: string;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    url = await freshDatabase();
    // Given up after 1.5 s of silence, so the test need not wait two minutes.
    a = await instance(url, { staleAfterMs: 1500 });
    b = await instance(url, { staleAfterMs: 1500 });
  });
  afterAll(async () => {
    await a?.store.close();
    await b?.store.close();
  });

  it('stops waiting for an instance killed mid-window, losing its share of the count but no total', async () => {
    await a.store.ingest([record({ src_app: 'from-a' })]);
    // b dies: its committed batch is in the totals, its share of the window only in its memory.
    await b.store.ingest([record({ src_app: 'from-b' })]);
    const { published, publish } = collector();
    await a.counter.rotate(closing(T0), publish);
    await sleep(1700);
    await a.counter.rotate(closing(T0 + MINUTE), publish);
    expect(published.map((c) => [c.minute, c.unique_flows, c.records])).toEqual([
      [iso(T0), 1, 1],
      [iso(T0 + MINUTE), 0, 0],
    ]);
    expect((await a.store.flowsForHour(1)).map((f) => f.src_app).sort()).toEqual(['from-a', 'from-b']);
  });

  it('counts a share written after its window was published in the next window, so no record is lost', async () => {
    // b was taken for dead, but was only slow: its share of T0 arrives now, after T0 and T0+1 were published.
    const { published, publish } = collector();
    await b.counter.rotate(closing(T0), publish);
    await b.counter.rotate(closing(T0 + MINUTE), publish);
    await a.counter.rotate(closing(T0 + 2 * MINUTE), publish);
    await b.counter.rotate(closing(T0 + 2 * MINUTE), publish);
    expect(published.map((c) => [c.minute, c.records])).toEqual([[iso(T0 + 2 * MINUTE), 1]]);
  });

  it('writes keys early past its memory bound, and still counts each distinct key once', async () => {
    const small = await instance(url, { staleAfterMs: 1500, spillKeys: 3 });
    try {
      const batch = (names: string[]) => names.map((src_app) => record({ src_app }));
      await small.store.ingest(batch(['k1', 'k2']));
      await small.store.ingest(batch(['k2', 'k3', 'k4']));
      await small.store.ingest(batch(['k1', 'k5']));
      await small.store.ingest(batch(['k5', 'k6', 'k7']));
      // Written before the window closed.
      await expect.poll(async () => (await query(url, 'SELECT * FROM flow_minute_keys')).length).toBeGreaterThan(0);
      const { published, publish } = collector();
      await small.counter.rotate(closing(T0 + 3 * MINUTE), publish);
      await a.counter.rotate(closing(T0 + 3 * MINUTE), publish);
      await b.counter.rotate(closing(T0 + 3 * MINUTE), publish);
      expect(published.map((c) => [c.minute, c.unique_flows, c.records])).toEqual([[iso(T0 + 3 * MINUTE), 7, 10]]);
    } finally {
      await small.store.close();
    }
  });
});

describe('cluster-wide minute counts while the database refuses the shares', () => {
  it('keeps the shares it could not write, up to sixty windows, and writes them once it can', {
    timeout: 60_000,
  }, async () => {
    const url = await freshDatabase();
    const a = await instance(url);
    try {
      const { published, publish } = collector();
      await query(url, 'ALTER TABLE flow_minute_stats RENAME TO flow_minute_stats_away');
      for (let w = 0; w < 60; w++) {
        await a.store.ingest([record({ src_app: `w${w}` })]);
        await expect(a.counter.rotate(closing(T0 + w * MINUTE), publish)).rejects.toMatchObject({ code: '42P01' });
      }
      await query(url, 'ALTER TABLE flow_minute_stats_away RENAME TO flow_minute_stats');
      await a.counter.rotate(closing(T0 + 60 * MINUTE), publish);
      // Sixty-one shares: the oldest was given up, the sixty after it are counted, each in its own window.
      expect(published.map((c) => c.minute)).toEqual(Array.from({ length: 61 }, (_, w) => iso(T0 + w * MINUTE)));
      expect(published.map((c) => c.records)).toEqual([0, ...Array(59).fill(1), 0]);
    } finally {
      await a.store.close();
    }
  });
});
