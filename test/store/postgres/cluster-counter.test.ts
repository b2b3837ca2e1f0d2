import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MinuteCount } from '../../../src/counts/minute-count.js';
import { ClusterWindowCounter } from '../../../src/store/postgres/cluster-counter.js';
import { createPool } from '../../../src/store/postgres/pool.js';
import { PostgresFlowStore } from '../../../src/store/postgres/postgres-store.js';
import { record, silentLogger } from '../../support/helper.js';
import { freshDatabase, query } from '../../support/pg-db.js';

const MINUTE = 60_000;
/** The window that ends at `end`, as the scheduler hands it over at that boundary. */
const closing = (end: number) => ({ start: end - MINUTE, end, partial: false });
const T0 = Date.UTC(2026, 10, 21, 16, 37);

/** One service instance's store and counter on the shared database, with a clock the test moves. */
async function instance(url: string, clock: { now: number }) {
  const pool = createPool({ connectionString: url, max: 4, timeoutMs: 5000, onIdleError: () => {} });
  const store = await PostgresFlowStore.open({ pool, log: silentLogger, intervalMs: MINUTE, now: () => clock.now });
  return { store, counter: new ClusterWindowCounter(pool, MINUTE, silentLogger) };
}

describe('cluster-wide minute counts', () => {
  let url: string;
  const clock = { now: T0 + 5_000 };
  let a: Awaited<ReturnType<typeof instance>>;
  let b: Awaited<ReturnType<typeof instance>>;

  beforeAll(async () => {
    url = await freshDatabase();
    a = await instance(url, clock);
    b = await instance(url, clock);
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
    const published: MinuteCount[] = [];
    const publish = async (count: MinuteCount) => {
      published.push(count);
    };
    // Both instances reach the boundary at the same time; only one may publish.
    await Promise.all([
      a.counter.rotate(closing(T0 + MINUTE), publish),
      b.counter.rotate(closing(T0 + MINUTE), publish),
    ]);
    expect(published).toEqual([
      {
        minute: new Date(T0).toISOString(),
        unique_flows: 3,
        records: 4,
        bytes_tx: 1 + 1 + 10 + 100,
        bytes_rx: 2 + 500 + 20 + 500,
      },
    ]);
    // A late boundary call for the same window publishes nothing more; the counted rows are pruned.
    await a.counter.rotate(closing(T0 + MINUTE), publish);
    expect(published).toHaveLength(1);
    expect(await query(url, 'SELECT * FROM flow_minute_keys')).toEqual([]);
  });

  it('moves a batch that commits after its window was counted into the next window, never dropping it', async () => {
    const published: MinuteCount[] = [];
    const publish = async (count: MinuteCount) => {
      published.push(count);
    };
    // Arrived (by the instance's clock) in the window that the cluster closes first.
    clock.now = T0 + MINUTE + 1000;
    await a.counter.rotate(closing(T0 + 2 * MINUTE), publish);
    await b.store.ingest([record({ src_app: 'late' })]);
    await b.counter.rotate(closing(T0 + 3 * MINUTE), publish);
    expect(published.map((c) => [c.minute, c.unique_flows])).toEqual([
      [new Date(T0 + MINUTE).toISOString(), 0],
      [new Date(T0 + 2 * MINUTE).toISOString(), 1],
    ]);
  });

  it('publishes again a window whose publication failed, at the next boundary', async () => {
    clock.now = T0 + 3 * MINUTE + 1;
    await a.store.ingest([record({ src_app: 'retry' })]);
    await expect(
      a.counter.rotate(closing(T0 + 4 * MINUTE), async () => {
        throw new Error('sink down');
      }),
    ).rejects.toThrow('sink down');
    const published: MinuteCount[] = [];
    await b.counter.rotate(closing(T0 + 5 * MINUTE), async (count) => {
      published.push(count);
    });
    expect(published.map((c) => [c.minute, c.unique_flows])).toEqual([
      [new Date(T0 + 3 * MINUTE).toISOString(), 1],
      [new Date(T0 + 4 * MINUTE).toISOString(), 0],
    ]);
  });

  it('publishes byte sums past 2^53-1 exactly', async () => {
    clock.now = T0 + 6 * MINUTE + 1;
    const max = Number.MAX_SAFE_INTEGER;
    await a.store.ingest([record({ src_app: 'big-1', bytes_tx: max, bytes_rx: max })]);
    await b.store.ingest([record({ src_app: 'big-2', bytes_tx: max, bytes_rx: 4 })]);
    const published: MinuteCount[] = [];
    await a.counter.rotate(closing(T0 + 7 * MINUTE), async (count) => {
      published.push(count);
    });
    expect(published).toEqual([
      {
        minute: new Date(T0 + 6 * MINUTE).toISOString(),
        unique_flows: 2,
        records: 2,
        bytes_tx: 2n * BigInt(max),
        bytes_rx: BigInt(max) + 4n,
      },
    ]);
  });

  it('publishes nothing at shutdown: the open window stays in the database for the others to count', async () => {
    clock.now = T0 + 10 * MINUTE + 1;
    await a.store.ingest([record({ src_app: 'at-shutdown' })]);
    const published: MinuteCount[] = [];
    await a.counter.rotate({ start: T0 + 10 * MINUTE, end: T0 + 10 * MINUTE + 5_000, partial: true }, async (count) => {
      published.push(count);
    });
    expect(published).toEqual([]);
    expect(await query(url, `SELECT src_app FROM flow_minute_keys`)).toEqual([{ src_app: 'at-shutdown' }]);
  });
});
