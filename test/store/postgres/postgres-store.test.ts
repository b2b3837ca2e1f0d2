import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FlowRecord, FlowTotal } from '../../../src/schemas/flow.js';
import { MAX_TOTAL } from '../../../src/schemas/flow.js';
import { createPool } from '../../../src/store/postgres/pool.js';
import { PostgresFlowStore } from '../../../src/store/postgres/postgres-store.js';
import { record, silentLogger } from '../../support/helper.js';
import { pgApp } from '../../support/pg-app.js';
import { freshDatabase, query } from '../../support/pg-db.js';
import { flowQueriesContract } from '../flow-queries-contract.js';
import { flowStoreContract } from '../flow-store-contract.js';

type PgApp = Awaited<ReturnType<typeof pgApp>>;
let url: string;
let svc: PgApp;
let contractUrl: string;

beforeAll(async () => {
  url = await freshDatabase();
  svc = await pgApp(url);
  contractUrl = await freshDatabase();
});

// Each test of the contract gets empty tables, in a database of its own.
const openEmpty = async () => {
  const pool = createPool({ connectionString: contractUrl, max: 5, timeoutMs: 5000, onIdleError: () => {} });
  const store = await PostgresFlowStore.open({ pool, log: silentLogger });
  await pool.query(
    'TRUNCATE flow_totals, flow_count_shards, flow_minute_keys, flow_minute_stats, flow_commits, flow_idempotency_keys',
  );
  return store;
};
flowStoreContract('PostgreSQL store', openEmpty);
flowQueriesContract('PostgreSQL store', openEmpty);
afterAll(async () => {
  await svc?.app.close();
});

const post = (body: unknown) => svc.app.inject({ method: 'POST', url: '/flows', payload: body as object });
const hour = async (n: number) =>
  (await svc.app.inject({ method: 'GET', url: `/flows?hour=${n}` })).json<FlowTotal[]>();
const sortFlows = (flows: FlowTotal[]) => [...flows].sort((a, b) => a.src_app.localeCompare(b.src_app));

describe('PostgreSQL store behind the app', () => {
  it('keeps totals exact with many concurrent writers on the same flows', async () => {
    const writers = 40;
    const batch: FlowRecord[] = [];
    for (let i = 0; i < 100; i++) batch.push(record({ hour: 20, src_app: `s${i % 7}`, bytes_tx: i, bytes_rx: 1 }));
    const results = await Promise.all(Array.from({ length: writers }, () => post(batch)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(writers).fill(200));
    const flows = sortFlows(await hour(20));
    expect(flows).toHaveLength(7);
    for (const f of flows) {
      const mine = batch.filter((r) => r.src_app === f.src_app);
      expect(f.bytes_tx).toBe(writers * mine.reduce((sum, r) => sum + r.bytes_tx, 0));
      expect(f.bytes_rx).toBe(writers * mine.length);
    }
  });

  it('keeps totals exact with concurrent transactions from many stores (instances) on the same rows', async () => {
    const stores = await Promise.all(Array.from({ length: 6 }, () => pgApp(url)));
    const names = Array.from({ length: 30 }, (_, i) => `row${i}`);
    // Each batch lists the flows in its own shuffled order; the store sorts them, so no deadlock.
    const shuffled = (seed: number) =>
      [...names].sort((a, b) => ((a.charCodeAt(3) * seed) % 7) - ((b.charCodeAt(3) * seed) % 7));
    await Promise.all(
      stores.flatMap((s, i) =>
        Array.from({ length: 10 }, (_, j) =>
          s.store.ingest(
            shuffled(i * 10 + j + 1).map((src_app) => record({ hour: 21, src_app, bytes_tx: 2, bytes_rx: 3 })),
          ),
        ),
      ),
    );
    await Promise.all(stores.map((s) => s.app.close()));
    const flows = await hour(21);
    expect(flows).toHaveLength(names.length);
    for (const f of flows) expect([f.bytes_tx, f.bytes_rx]).toEqual([6 * 10 * 2, 6 * 10 * 3]);
  });

  it('rejects only the overflowing batch of a group commit; the batches merged with it are applied', async () => {
    await post([record({ hour: 40, bytes_tx: MAX_TOTAL, bytes_rx: 0 })]);
    const innocent = Array.from({ length: 20 }, (_, i) => post([record({ hour: 41, src_app: `i${i}`, bytes_tx: 3 })]));
    const culprit = post([record({ hour: 41, src_app: 'i0', bytes_tx: 1 }), record({ hour: 40, bytes_tx: 1 })]);
    const [bad, ...good] = await Promise.all([culprit, ...innocent]);
    expect(bad.statusCode).toBe(422);
    expect(good.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    const flows = await hour(41);
    expect(flows).toHaveLength(20);
    expect(flows.every((f) => f.bytes_tx === 3)).toBe(true);
    expect((await hour(40))[0].bytes_tx).toBe(MAX_TOTAL);
  });

  it('fails only the bad batch of 30 concurrent ones: the others are applied', async () => {
    const name = (i: number) => `s30-${i}`;
    const good = (i: number) => JSON.stringify([record({ hour: 42, src_app: name(i), bytes_tx: i })]);
    // Two names that PostgreSQL would store as the same U+FFFD: refused at the edge with its own 400.
    const bad =
      '[{"src_app":"\\ud800","dest_app":"b","vpc_id":"v","bytes_tx":1,"bytes_rx":1,"hour":42},' +
      '{"src_app":"\\ud801","dest_app":"b","vpc_id":"v","bytes_tx":1,"bytes_rx":1,"hour":42}]';
    const bodies = Array.from({ length: 30 }, (_, i) => (i === 17 ? bad : good(i)));
    const results = await Promise.all(
      bodies.map((payload) =>
        svc.app.inject({ method: 'POST', url: '/flows', headers: { 'content-type': 'application/json' }, payload }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(bodies.map((_, i) => (i === 17 ? 400 : 200)));
    expect(results[17].json().message).toBe(
      'record 0: field "src_app" must not contain NUL or an unpaired UTF-16 surrogate',
    );
    expect((await hour(42)).map((f) => f.src_app).sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => i)
        .filter((i) => i !== 17)
        .map(name)
        .sort(),
    );
  });

  it('redoes a merged group batch by batch when one batch fails in the database, so only it fails', async () => {
    const commits: number[] = [];
    svc.store.observeCommits((commit) => commits.push(commit.batches));
    // Past the edge's validation (straight to the store): the database sees one key twice and refuses
    // the whole statement ("ON CONFLICT DO UPDATE command cannot affect row a second time").
    const culprit = [record({ hour: 43, src_app: '\ud800' }), record({ hour: 43, src_app: '\ud801' })];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        svc.store.ingest(i === 9 ? culprit : [record({ hour: 43, src_app: `g${i}`, bytes_tx: i })]),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(outcomes.map((_, i) => (i === 9 ? 'rejected' : 'fulfilled')));
    expect((outcomes[9] as PromiseRejectedResult).reason).toMatchObject({
      statusCode: 400,
      code: 'FLOWS_ERR_VALIDATION',
    });
    expect(await hour(43)).toHaveLength(29);
    // The group failed as a whole once, then each of its batches was written on its own.
    expect(commits.filter((n) => n === 1).length).toBeGreaterThanOrEqual(29);
  });

  it('keeps the flow count exact without counting the table, with many instances creating the same flows', async () => {
    const instances = await Promise.all(Array.from({ length: 4 }, () => pgApp(url)));
    const before = await svc.store.flowCount();
    const batch = Array.from({ length: 200 }, (_, i) => record({ hour: 44, src_app: `c${i}` }));
    await Promise.all(instances.flatMap((s) => [s.store.ingest(batch), s.store.ingest(batch.slice(50))]));
    await Promise.all(instances.map((s) => s.app.close()));
    const counted = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM flow_totals');
    expect(await svc.store.flowCount()).toBe(before + 200);
    expect(await svc.store.flowCount()).toBe(Number(counted[0].n));
  });

  it('leaves the database untouched by bad input', async () => {
    const snapshot = () => query(url, 'SELECT * FROM flow_totals ORDER BY 1, 2, 3, 4');
    const before = await snapshot();
    const bad = [
      [record({ hour: 50 }), { ...record({ hour: 50 }), bytes_tx: -1 }],
      [record({ hour: 50 }), { ...record({ hour: 50 }), extra: 1 }],
      [record({ hour: 50 }), record({ hour: 50, bytes_rx: 1.5 })],
      { not: 'an array' },
    ];
    for (const body of bad) expect((await post(body)).statusCode).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  it('streams a large hour in key order with exact totals, page by page', async () => {
    const streamed = vi.spyOn(svc.store, 'streamFlowsForHour');
    const whole = vi.spyOn(svc.store, 'flowsForHour');
    const n = 12_000;
    const all: FlowRecord[] = [];
    for (let i = 0; i < n; i++)
      all.push(record({ hour: 60, src_app: `app-${String(i).padStart(6, '0')}`, bytes_tx: i }));
    for (let i = 0; i < n; i += 1000) expect((await post(all.slice(i, i + 1000))).statusCode).toBe(200);
    const flows = await hour(60);
    expect(flows).toHaveLength(n);
    expect(flows.reduce((sum, f) => sum + f.bytes_tx, 0)).toBe((n * (n - 1)) / 2);
    expect(new Set(flows.map((f) => f.src_app)).size).toBe(n);
    expect(flows.map((f) => f.src_app)).toEqual(all.map((r) => r.src_app));
    // The route reached the store's streaming read: the store is handed to the routes as it is.
    expect(streamed).toHaveBeenCalledWith(60);
    expect(whole).not.toHaveBeenCalled();
    expect(await svc.store.flowCount()).toBeGreaterThanOrEqual(n);
  });
});
