import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../../src/app.js';
import type { FlowRecord } from '../../../src/schemas/flow.js';
import { RETENTION_LOCK } from '../../../src/store/postgres/locks.js';
import { openPostgresBackend } from '../../../src/store/postgres/open-postgres.js';
import { createPool } from '../../../src/store/postgres/pool.js';
import { PostgresFlowStore, type PostgresStoreOptions } from '../../../src/store/postgres/postgres-store.js';
import { PgRetention } from '../../../src/store/postgres/retention.js';
import { record, silentLogger, testConfig } from '../../support/helper.js';
import { freshDatabase, query } from '../../support/pg-db.js';
import { retentionContract } from '../retention-contract.js';

const pools: pg.Pool[] = [];
const pool = (url: string) => {
  const p = createPool({ connectionString: url, max: 5, timeoutMs: 5000, onIdleError: () => {} });
  pools.push(p);
  return p;
};
/** A store as an instance opens it; the deletion loop only runs when a test asks for it. */
const open = (url: string, options: Partial<PostgresStoreOptions> = {}) =>
  PostgresFlowStore.open({
    pool: pool(url),
    log: silentLogger,
    retentionIntervalMs: 3_600_000,
    ...options,
  });

// Each test of the contract gets a database of its own, so no read of the newest hour sees another's rows.
retentionContract('PostgreSQL store', async (retentionHours) => {
  const store = await open(await freshDatabase(), { retentionHours });
  return {
    store,
    expire: async () => {
      await store.retention?.purge();
    },
  };
});

let url: string;
beforeAll(async () => {
  url = await freshDatabase();
  await (await open(url)).close();
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end().catch(() => {})));
});

const hourRows = (from: number, to: number, perHour: number): FlowRecord[] => {
  const rows: FlowRecord[] = [];
  for (let hour = from; hour <= to; hour++) {
    for (let i = 0; i < perHour; i++) rows.push(record({ hour, src_app: `s${i}` }));
  }
  return rows;
};
const countByHour = async () =>
  Object.fromEntries(
    (await query<{ hour: number; n: string }>(url, 'SELECT hour, count(*) AS n FROM flow_totals GROUP BY hour')).map(
      (r) => [r.hour, Number(r.n)],
    ),
  );
// The flow count's shards with the totals: together they are what a fresh database holds.
const truncate = () => query(url, 'TRUNCATE flow_totals, flow_count_shards');

describe('PostgreSQL retention', () => {
  it('deletes the rows of expired hours in chunks, keeps the rest, and logs and counts its progress', async () => {
    await truncate();
    const writer = await open(url);
    await writer.ingest(hourRows(1, 4, 250));
    await writer.ingest(hourRows(10, 10, 3));
    const lines: { msg: string; rows: number; oldestKept: number }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const retention = new PgRetention({ pool: pool(url), log, hours: 7, chunkRows: 7 });
    const queries = vi.spyOn(pg.Client.prototype, 'query');
    expect(await retention.purge()).toBe(500);
    const deletes = queries.mock.calls.filter(
      ([sql]) => typeof sql === 'string' && sql.includes('DELETE FROM flow_totals'),
    );
    queries.mockRestore();
    // 71 chunks of 7 rows, then one of 3, each its own statement (and transaction).
    expect(deletes).toHaveLength(72);
    expect(await countByHour()).toEqual({ 3: 250, 4: 250, 10: 3 });
    // The flow count (kept without a scan) lost the deleted rows too.
    expect(await writer.flowCount()).toBe(503);
    expect(lines).toMatchObject([{ msg: 'retention: deleted the rows of expired hours', rows: 500, oldestKept: 3 }]);
    expect(retention.limits().retention).toEqual({
      retention_hours: 7,
      newest_hour: 10,
      oldest_hour_kept: 3,
      expired_total: 500,
    });
    expect(await retention.purge()).toBe(0);
    await writer.close();
  });

  it('runs on one instance at a time: while another session holds the lock, a pass deletes nothing', async () => {
    await truncate();
    const writer = await open(url);
    await writer.ingest([...hourRows(1, 1, 5), ...hourRows(50, 50, 1)]);
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [RETENTION_LOCK]);
      const retention = new PgRetention({ pool: pool(url), log: silentLogger, hours: 24 });
      expect(await retention.purge()).toBe(0);
      expect(await countByHour()).toEqual({ 1: 5, 50: 1 });
      await other.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]);
      expect(await retention.purge()).toBe(5);
    } finally {
      await other.end();
      await writer.close();
    }
  });

  it('never waits for a writer: a row another transaction holds is left for the next pass', async () => {
    await truncate();
    const writer = await open(url);
    await writer.ingest([...hourRows(1, 1, 20), ...hourRows(30, 30, 1)]);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM flow_totals WHERE hour = 1 AND src_app = 's3' FOR UPDATE`);
      const retention = new PgRetention({ pool: pool(url), log: silentLogger, hours: 5, chunkRows: 4 });
      // statement_timeout would fail a DELETE that waited on the held row.
      expect(await retention.purge()).toBe(19);
      await holder.query('COMMIT');
      expect(await retention.purge()).toBe(1);
      expect(await countByHour()).toEqual({ 30: 1 });
    } finally {
      await holder.end();
      await writer.close();
    }
  });

  it('keeps totals exact for writers of the kept hours while a long pass deletes', async () => {
    await truncate();
    const writer = await open(url);
    for (let b = 0; b < 10; b++)
      await writer.ingest(hourRows(1, 1, 2000).map((r) => ({ ...r, src_app: `${r.src_app}-${b}` })));
    await writer.ingest([record({ hour: 100 })]);
    const retention = new PgRetention({ pool: pool(url), log: silentLogger, hours: 24, chunkRows: 500 });
    const batch = Array.from({ length: 50 }, (_, i) => record({ hour: 100, src_app: `w${i}`, bytes_tx: 1 }));
    const [deleted] = await Promise.all([retention.purge(), ...Array.from({ length: 40 }, () => writer.ingest(batch))]);
    expect(deleted).toBe(20_000);
    const totals = await query<{ n: string; tx: string }>(
      url,
      `SELECT count(*) AS n, sum(bytes_tx) AS tx FROM flow_totals WHERE hour = 100 AND src_app LIKE 'w%'`,
    );
    expect(totals).toEqual([{ n: '50', tx: '2000' }]);
    expect(await countByHour()).toEqual({ 100: 51 });
    expect(await writer.flowCount()).toBe(51);
    await writer.close();
  });

  it("sees another instance's newer hour within a second, and refuses the hours it expires", async () => {
    await truncate();
    const clock = { now: 1_000_000 };
    const a = await open(url, { retentionHours: 5, now: () => clock.now });
    const b = await open(url, { retentionHours: 5 });
    await a.ingest([record({ hour: 10 })]);
    await b.ingest([record({ hour: 100 })]);
    // Within the second a trusts its last read: still accepted (the next pass deletes it).
    await a.ingest([record({ hour: 10 })]);
    clock.now += 1000;
    await expect(a.ingest([record({ hour: 10 })])).rejects.toMatchObject({
      code: 'FLOWS_ERR_HOUR_EXPIRED',
      message: expect.stringContaining('the oldest hour kept is 95 (the newest hour 100'),
    });
    await a.close();
    await b.close();
  });

  it('deletes in the background once started, and settles the batches in flight when closed', async () => {
    await truncate();
    const store = await open(url, { retentionHours: 2, retentionIntervalMs: 50 });
    await store.ingest(hourRows(1, 1, 10));
    const pending = store.ingest([record({ hour: 9 })]);
    await store.close();
    await pending;
    expect(await countByHour()).toMatchObject({ 9: 1 });
    const looping = await open(url, { retentionHours: 2, retentionIntervalMs: 50 });
    await expect.poll(countByHour, { timeout: 10_000 }).toEqual({ 9: 1 });
    await looping.close();
  });

  it('runs one pass at start-up and the next a minute later, by default', async () => {
    await truncate();
    const queries = vi.spyOn(pg.Client.prototype, 'query');
    const passes = () =>
      queries.mock.calls.filter(([sql]) => typeof sql === 'string' && sql.includes('pg_try_advisory_lock')).length;
    const store = await PostgresFlowStore.open({
      pool: pool(url),
      log: silentLogger,
      retentionHours: 1,
    });
    await expect.poll(passes).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(passes()).toBe(1);
    queries.mockRestore();
    await store.close();
  });

  it('reports retention in /ready and /metrics of the app', async () => {
    await truncate();
    const backend = await openPostgresBackend({
      pool: pool(url),
      log: silentLogger,
      intervalMs: 60_000,
      retentionHours: 3,
      retentionIntervalMs: 3_600_000,
    });
    const app = buildApp({ config: testConfig, backend, logger: silentLogger });
    const post = (payload: object) => app.inject({ method: 'POST', url: '/flows', payload });
    expect((await post([record({ hour: 1 }), record({ hour: 2 })])).statusCode).toBe(200);
    expect((await post([record({ hour: 6 })])).statusCode).toBe(200);
    const refused = await post([record({ hour: 2 })]);
    expect([refused.statusCode, refused.json().code]).toEqual([422, 'FLOWS_ERR_HOUR_EXPIRED']);
    await backend.store.retention?.purge();
    expect((await app.inject('/ready')).json()).toMatchObject({
      status: 'ready',
      retention: { retention_hours: 3, newest_hour: 6, oldest_hour_kept: 3, expired_total: 2 },
    });
    expect((await app.inject('/ready')).json().capacity).toBeUndefined();
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/^flows_retention_expired_total 2$/m);
    expect(metrics).toMatch(/^flows_retention_oldest_hour 3$/m);
    expect(metrics).not.toMatch(/^flows_max /m);
    await app.close();
  });
});
