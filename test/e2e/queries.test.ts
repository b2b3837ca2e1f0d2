import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MinuteCount } from '../../src/counts/minute-count.js';
import { record } from '../support/helper.js';
import { waitFor } from '../support/load.js';
import { freshDatabase } from '../support/pg-db.js';
import { ServerProcess } from '../support/server-process.js';

const MAX = Number.MAX_SAFE_INTEGER;
const INTERVAL_MS = 250;

const batch = [
  record({ src_app: 'web', dest_app: 'db', bytes_tx: 500, bytes_rx: 50 }),
  record({ src_app: 'web', dest_app: 'cache', bytes_tx: 300, bytes_rx: 30, hour: 2 }),
  record({ src_app: 'batch', dest_app: 'db', vpc_id: 'vpc-1', bytes_tx: MAX, bytes_rx: 1 }),
  record({ src_app: 'batch', dest_app: 'db', vpc_id: 'vpc-2', bytes_tx: MAX, bytes_rx: 1, hour: 2 }),
  record({ src_app: 'ping', dest_app: 'web', bytes_tx: 1, bytes_rx: 1 }),
];
const questions = [
  '/hours?from_hour=0&to_hour=10',
  '/flows/top?from_hour=1&to_hour=2',
  '/flows/top?from_hour=1&to_hour=2&by=dest_app,hour&metric=bytes_rx&limit=2',
  '/flows/top?from_hour=1&to_hour=1&src_app=web&src_app=ping&by=src_app,dest_app,vpc_id',
];

async function counts(server: ServerProcess, since: string, until: string) {
  const res = await fetch(`${server.base}/counts?since=${since}&until=${until}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { counts: MinuteCount[] }).counts;
}

/** The counts the file sink wrote, without the `instance` each line carries (GET /counts is the cluster's). */
async function publishedLines(server: ServerProcess): Promise<MinuteCount[]> {
  const text = await readFile(server.countsFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const { instance: _instance, ...count } = JSON.parse(line);
      return count;
    });
}

// The built server as real processes, one per store, on the same records: the same questions get the
// same bytes back, and GET /counts gives back what the process published. `npm test` builds dist/.
describe('range queries and counts, the real process in both modes', () => {
  const running: ServerProcess[] = [];
  let memory: ServerProcess;
  let persistent: ServerProcess;
  beforeAll(async () => {
    const env = { ROTATION_INTERVAL_MS: String(INTERVAL_MS) };
    memory = await ServerProcess.start(env);
    running.push(memory);
    persistent = await ServerProcess.start({ ...env, INMEMORY: 'false', DATABASE_URL: await freshDatabase() });
    running.push(persistent);
    for (const server of running) expect((await server.post(batch)).status).toBe(200);
  });
  afterAll(async () => {
    await Promise.all(running.map((s) => s.kill()));
  });

  it.each(questions)('%s: both stores answer the same bytes', async (path) => {
    const [fromMemory, fromPostgres] = await Promise.all(running.map((s) => fetch(s.base + path)));
    expect([fromMemory.status, fromPostgres.status]).toEqual([200, 200]);
    const body = await fromMemory.text();
    expect(await fromPostgres.text()).toBe(body);
    expect(body).not.toMatch(/\d\.\d|e\+/); // exact integers, never a rounded double
  });

  it.each([
    ['in memory', () => memory],
    ['persistent', () => persistent],
  ])('%s: GET /counts gives back each count as the process published it', async (_mode, server) => {
    // Wait for the window holding the batch to be published.
    await waitFor(async () => (await publishedLines(server())).some((c) => c.records > 0));
    const lines = await publishedLines(server());
    const first = lines[0].minute;
    const last = new Date(Date.parse(lines[lines.length - 1].minute) + 1).toISOString();
    expect(await counts(server(), first, last)).toEqual(lines);
    expect(lines.reduce((sum, c) => sum + c.records, 0)).toBe(batch.length);
  });
});
