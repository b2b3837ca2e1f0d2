import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/store/postgres/pool.js';
import { PostgresFlowStore } from '../../src/store/postgres/postgres-store.js';
import { ThrowawayPostgres } from '../../testkit/embedded-pg.js';
import { silentLogger } from '../support/helper.js';
import { checkBatches, countOf, HANG_MS, startLoad, waitFor } from '../support/load.js';
import { ServerProcess } from '../support/server-process.js';

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

/** The samples of one metric in a Prometheus text answer (`name` or `name{...}` lines). */
const samples = (text: string, name: string) =>
  text.split('\n').filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`));

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

  it('fails fast with 503 and Retry-After under load, serves /metrics, then recovers with exactly what was acknowledged', {
    timeout: 180_000,
  }, async () => {
    const url = await db.createDatabase('outage');
    server = await ServerProcess.start({ INMEMORY: 'false', DATABASE_URL: url, PG_TIMEOUT_MS: '1000' });
    const live = server;
    // A store of its own on the same database, to watch ping() (what a readiness probe asks).
    const pool = createPool({ connectionString: url, max: 1, timeoutMs: 1000, onIdleError: () => {} });
    const readiness = new PostgresFlowStore({ pool, log: silentLogger });
    let phase: 'before' | 'down' | 'after' = 'before';
    let acknowledgedAfter = 0;
    const load = startLoad(
      () => live,
      5,
      8,
      () => phase === 'after' && countOf(load.result.outcomes, 'acknowledged') >= acknowledgedAfter,
    );
    await waitFor(() => countOf(load.result.outcomes, 'acknowledged') >= 100);
    await db.stop();
    phase = 'down';
    const downAt = performance.now();
    // Down for six seconds: long enough for the retries of the requests caught by the stop to end.
    await waitFor(
      () => live.assertAlive() && performance.now() - downAt > 6_000 && load.result.rejections.length >= 50,
    );

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
    // The metrics are served while the database is away: process metrics, the breaker, an unknown flow count.
    const metrics = await fetch(`${live.base}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(samples(text, 'process_cpu_user_seconds_total')).toHaveLength(1);
    // Open (2), or half-open (1) while one request tests the database.
    expect(samples(text, 'flows_store_breaker_state')).toEqual([
      expect.stringMatching(/^flows_store_breaker_state [12]$/),
    ]);
    // prom-client writes NaN as "Nan", which Prometheus reads as NaN.
    expect(samples(text, 'flows_held')).toEqual([expect.stringMatching(/^flows_held nan$/i)]);

    await db.restart();
    const upAt = performance.now();
    acknowledgedAfter = countOf(load.result.outcomes, 'acknowledged') + 100;
    phase = 'after';
    const result = await load.done;

    // No request hung: every one was answered (a 503 at worst), none cut off by the load's own deadline.
    expect(result.answers.filter((a) => a.status === 0)).toEqual([]);
    expect(Math.max(...result.answers.map((a) => a.ms))).toBeLessThan(HANG_MS);
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
    const held = samples(await (await fetch(`${live.base}/metrics`)).text(), 'flows_held');
    expect(held).toEqual([`flows_held ${(await live.hour(5)).length}`]);

    // What an operator would want to know, printed for the record (timings are not checked on a shared machine).
    const whileDown = result.answers.filter((a) => a.sentAt > downAt + 3_000 && a.sentAt < upAt).map((a) => a.ms);
    const firstAfter = Math.min(
      ...result.answers.filter((a) => a.status === 200 && a.sentAt + a.ms > upAt).map((a) => a.sentAt + a.ms),
    );
    process.stdout.write(
      `outage: ${whileDown.length} answers while down (sent 3 s after the stop or later): p50 ${quantile(whileDown, 0.5).toFixed(1)} ms, ` +
        `p99 ${quantile(whileDown, 0.99).toFixed(1)} ms, max ${Math.max(...whileDown).toFixed(1)} ms; ` +
        `first write acknowledged ${(firstAfter - upAt).toFixed(0)} ms after the database was back\n`,
    );
  });
});
