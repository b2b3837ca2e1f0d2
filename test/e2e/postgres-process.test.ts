import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record } from '../support/helper.js';
import { checkBatches, countOf, startLoad, waitFor } from '../support/load.js';
import { freshDatabase } from '../support/pg-db.js';
import { ServerProcess } from '../support/server-process.js';

// The built server as a real process with INMEMORY=false; `npm test` builds dist/ before vitest runs.
describe('persistent mode, the real process', () => {
  let url: string;
  const running: ServerProcess[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const server = await ServerProcess.start({ INMEMORY: 'false', DATABASE_URL: url, ...env });
    running.push(server);
    return server;
  };

  beforeAll(async () => {
    url = await freshDatabase();
  });
  afterAll(async () => {
    await Promise.all(running.map((s) => s.kill()));
  });

  it('keeps the totals across a restart', async () => {
    const first = await start();
    expect((await first.post([record({ hour: 1 }), record({ hour: 1 })])).status).toBe(200);
    expect(await first.stop()).toBe(0);
    const second = await start();
    expect(await second.hour(1)).toEqual([
      { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', hour: 1, bytes_tx: 200, bytes_rx: 1000 },
    ]);
    await second.stop();
  });

  it('holds an Idempotency-Key across a restart and across two processes', async () => {
    const key = { 'idempotency-key': 'process-key' };
    const batch = [record({ hour: 3 }), record({ hour: 3 })];
    const first = await start();
    expect((await first.post(batch, key)).status).toBe(200);
    expect(await first.stop()).toBe(0);
    const [second, third] = [await start(), await start()];
    for (const server of [second, third]) {
      const repeat = await server.post(batch, key);
      expect(repeat.status).toBe(200);
      expect(repeat.headers.get('idempotent-replayed')).toBe('true');
      expect(await repeat.json()).toEqual({ accepted: 2 });
    }
    expect((await third.post([record({ hour: 3 })], key)).status).toBe(422);
    expect((await second.hour(3))[0]).toMatchObject({ bytes_tx: 200, bytes_rx: 1000 });
    await Promise.all([second.stop(), third.stop()]);
  });

  it('has every acknowledged batch, once, after kill -9 during load', { timeout: 120_000 }, async () => {
    let server = await start();
    let restarted = false;
    const load = startLoad(
      () => server,
      2,
      8,
      (r) => restarted && countOf(r.outcomes, 'acknowledged') >= 300,
    );
    await waitFor(() => countOf(load.result.outcomes, 'acknowledged') >= 100);
    await server.kill();
    server = await start();
    restarted = true;
    const result = await load.done;
    expect(countOf(result.outcomes, 'unknown')).toBeGreaterThan(0); // the kill did cut requests short
    expect(checkBatches(result.outcomes, await server.hour(2))).toEqual([]);
    await server.stop();
  });
});
