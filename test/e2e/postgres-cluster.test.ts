import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MinuteCount } from '../../src/counts/minute-count.js';
import type { FlowRecord } from '../../src/schemas/flow.js';
import { waitFor } from '../support/load.js';
import { freshDatabase } from '../support/pg-db.js';
import { ServerProcess } from '../support/server-process.js';

async function counts(server: ServerProcess): Promise<MinuteCount[]> {
  const text = await readFile(server.countsFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as MinuteCount);
}

// Two service instances behind one database, as behind a load balancer.
describe('two instances on one database', () => {
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    const url = await freshDatabase();
    // Short windows so that several close during the test; each instance writes its own counts file.
    const env = { INMEMORY: 'false', DATABASE_URL: url, ROTATION_INTERVAL_MS: '500' };
    servers = await Promise.all([ServerProcess.start(env), ServerProcess.start(env)]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.kill()));
  });

  it('keeps exact totals and publishes one count per window for the cluster', { timeout: 120_000 }, async () => {
    const flows = 50;
    const batch: FlowRecord[] = [];
    for (let i = 0; i < 200; i++) {
      batch.push({ src_app: `a${i % flows}`, dest_app: 'b', vpc_id: 'v', bytes_tx: 3, bytes_rx: 5, hour: 9 });
    }
    const rounds = 30;
    const clientsPerServer = 4;
    const posts: Promise<void>[] = [];
    const loop = async (server: ServerProcess) => {
      for (let r = 0; r < rounds; r++) {
        const res = await server.post(batch);
        expect(res.status).toBe(200);
      }
    };
    for (const server of servers) for (let c = 0; c < clientsPerServer; c++) posts.push(loop(server));
    await Promise.all(posts);

    const writes = servers.length * clientsPerServer * rounds;
    for (const server of servers) {
      const totals = await server.hour(9);
      expect(totals).toHaveLength(flows);
      for (const f of totals) {
        expect(f.bytes_tx).toBe((writes * batch.length * 3) / flows);
        expect(f.bytes_rx).toBe((writes * batch.length * 5) / flows);
      }
    }

    // Every record is counted in exactly one window, whichever instance published it.
    const all = async () => [...(await counts(servers[0])), ...(await counts(servers[1]))];
    const records = async () => (await all()).reduce((sum, c) => sum + c.records, 0);
    await waitFor(async () => servers.every((s) => s.assertAlive()) && (await records()) >= writes * batch.length);
    const published = await all();
    expect(await records()).toBe(writes * batch.length);
    const minutes = published.map((c) => c.minute);
    expect(new Set(minutes).size).toBe(minutes.length);
    for (const c of published) {
      expect(c.partial).toBeUndefined();
      expect(c.unique_flows).toBeLessThanOrEqual(flows);
      if (c.records > 0) expect(c.unique_flows).toBeGreaterThan(0);
      expect(c.bytes_tx).toBe(c.records * 3);
    }
  });
});
