import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../src/store/postgres/pool.js';
import { PostgresFlowStore } from '../../../src/store/postgres/postgres-store.js';
import { record, silentLogger } from '../../support/helper.js';
import { waitFor } from '../../support/load.js';
import { freshDatabase } from '../../support/pg-db.js';

describe('transient failures', () => {
  let url: string;
  let store: PostgresFlowStore;
  let pool: pg.Pool;
  let acquired = 0;

  beforeAll(async () => {
    url = await freshDatabase();
    // A short lock timeout turns a held row lock into a quick transient failure (55P03).
    pool = createPool({ connectionString: url, max: 2, timeoutMs: 300, onIdleError: () => {} });
    pool.on('acquire', () => acquired++);
    store = await PostgresFlowStore.open({ pool, log: silentLogger });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('retries a write that timed out on a lock, then applies it once', async () => {
    await store.ingest([record({ bytes_tx: 1, bytes_rx: 1 })]);
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT * FROM flow_totals FOR UPDATE');

    const before = acquired;
    const write = store.ingest([record({ bytes_tx: 10, bytes_rx: 20 })]);
    // At least one attempt failed on the lock and another began: that is the retry.
    await waitFor(() => acquired >= before + 2);
    await blocker.query('COMMIT');
    await blocker.end();
    await write;
    expect(await store.flowsForHour(1)).toEqual([
      { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', hour: 1, bytes_tx: 11, bytes_rx: 21 },
    ]);
  });

  it('gives up with a 503 and Retry-After when the lock is never released', async () => {
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT * FROM flow_totals FOR UPDATE');
    try {
      await expect(store.ingest([record({ bytes_tx: 5 })])).rejects.toMatchObject({
        statusCode: 503,
        code: 'FLOWS_ERR_STORE_UNAVAILABLE',
        headers: { 'retry-after': '2' },
      });
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect((await store.flowsForHour(1))[0].bytes_tx).toBe(11);
  });
});

describe('waiting for a pooled connection', () => {
  it('is bounded by the timeout: with every connection taken, a write gets a 503 instead of waiting', async () => {
    const url = await freshDatabase();
    const pool = createPool({ connectionString: url, max: 1, timeoutMs: 200, onIdleError: () => {} });
    const store = await PostgresFlowStore.open({ pool, log: silentLogger, guard: { retries: 1 } });
    const taken = await pool.connect();
    try {
      await expect(store.ingest([record()])).rejects.toMatchObject({
        statusCode: 503,
        code: 'FLOWS_ERR_STORE_UNAVAILABLE',
      });
    } finally {
      taken.release();
    }
    await store.ingest([record()]);
    expect(await store.flowsForHour(1)).toHaveLength(1);
    await store.close();
  });
});
