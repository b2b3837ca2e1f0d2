import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/store/postgres/pool.js';
import { PostgresFlowStore } from '../../src/store/postgres/postgres-store.js';
import { ThrowawayPostgres } from '../../testkit/embedded-pg.js';
import { silentLogger } from '../support/helper.js';
import { checkBatches, countOf, startLoad, waitFor } from '../support/load.js';
import { ServerProcess } from '../support/server-process.js';

// This file starts its own PostgreSQL instead of the shared one (or DATABASE_URL): it stops the
// database mid-test, which only a server the test owns can do.
describe('persistent mode while the database goes down and comes back', () => {
  let db: ThrowawayPostgres;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    db = await ThrowawayPostgres.start();
  });
  afterAll(async () => {
    await server?.kill();
    await db?.destroy();
  });

  it('answers 503 with Retry-After, then recovers with exactly what was acknowledged', {
    timeout: 120_000,
  }, async () => {
    const url = await db.createDatabase('outage');
    server = await ServerProcess.start({ INMEMORY: 'false', DATABASE_URL: url, PG_TIMEOUT_MS: '1000' });
    const live = server;
    // A store of its own on the same database, to watch ping() (what a readiness probe asks).
    const pool = createPool({ connectionString: url, max: 1, timeoutMs: 1000, onIdleError: () => {} });
    const readiness = new PostgresFlowStore({ pool, log: silentLogger, intervalMs: 60_000 });
    let phase: 'before' | 'down' | 'after' = 'before';
    let acknowledgedAfter = 0;
    const load = startLoad(
      () => live,
      5,
      6,
      () => phase === 'after' && countOf(load.result.outcomes, 'acknowledged') >= acknowledgedAfter,
    );
    await waitFor(() => countOf(load.result.outcomes, 'acknowledged') >= 100);
    await db.stop();
    phase = 'down';
    await waitFor(() => live.assertAlive() && load.result.rejections.length >= 10);
    const read = await fetch(`${live.base}/flows?hour=5`);
    expect(read.status).toBe(503);
    expect(Number(read.headers.get('retry-after'))).toBeGreaterThan(0);
    const readError = await read.json();
    expect(readError.code).toBe('FLOWS_ERR_STORE_UNAVAILABLE');
    // A read applies nothing, so its message does not claim "nothing was applied".
    expect(readError.message).toMatch(/^the flow store is unavailable \(.+ while reading flows\); retry later$/);
    // Readiness follows the database, through HTTP as an orchestrator asks it.
    const unready = await fetch(`${live.base}/ready`);
    expect(unready.status).toBe(503);
    expect(await unready.json()).toMatchObject({ status: 'unready', store: 'down' });
    await expect(readiness.ping()).rejects.toMatchObject({ statusCode: 503, code: 'FLOWS_ERR_STORE_UNAVAILABLE' });
    await db.restart();
    acknowledgedAfter = countOf(load.result.outcomes, 'acknowledged') + 100;
    phase = 'after';
    const result = await load.done;

    const unavailable = result.rejections.filter((r) => r.body.code === 'FLOWS_ERR_STORE_UNAVAILABLE');
    expect(unavailable.length).toBeGreaterThan(0);
    for (const r of result.rejections) {
      expect(r.status).toBe(503);
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
      expect(r.body.message).toMatch(/unavailable|connection was lost/);
      // The client learns what kind of failure it is, not where the database lives.
      expect(r.body.message).not.toContain('127.0.0.1');
    }
    expect(checkBatches(result.outcomes, await live.hour(5))).toEqual([]);
    await expect(readiness.ping()).resolves.toBeUndefined();
    await readiness.close();
    // The load above already wrote through the recovered pool, so readiness is back too.
    const ready = await fetch(`${live.base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', store: 'up' });
  });
});
