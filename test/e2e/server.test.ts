import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { record } from '../support/helper.js';
import { ServerProcess } from '../support/server-process.js';

const run = promisify(execFile);

const postFlows = (base: string, body: unknown) =>
  fetch(`${base}/flows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('the server process', () => {
  it('rotates windows, and on SIGTERM finishes, flushes the partial window and exits 0', async () => {
    const server = await ServerProcess.start({ ROTATION_INTERVAL_MS: '60000' });
    expect((await postFlows(server.base, [record(), record(), record({ hour: 2 })])).status).toBe(200);
    expect(await (await fetch(`${server.base}/flows?hour=1`)).json()).toEqual([
      { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', hour: 1, bytes_tx: 200, bytes_rx: 1000 },
    ]);

    expect(await server.stop('SIGTERM')).toBe(0);
    const counts = (await readFile(server.countsFile, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    // Unless the run straddled a minute boundary, the partial window holds all three records.
    const partial = counts.at(-1);
    expect(partial).toMatchObject({ partial: true });
    expect(counts.reduce((sum, c) => sum + c.records, 0)).toBe(3);
    expect(counts.reduce((sum, c) => sum + c.bytes_tx, 0)).toBe(300);
    expect(server.output()).toMatch(/"signal":"SIGTERM"/);
  });

  it('writes a minute whose byte sums pass 2^53-1 exactly, with its instance', async () => {
    const server = await ServerProcess.start({ ROTATION_INTERVAL_MS: '3600000', INSTANCE_ID: 'exact-1' });
    const max = Number.MAX_SAFE_INTEGER;
    const names = ['a', 'b', 'c'];
    const res = await postFlows(
      server.base,
      names.map((src_app) => record({ src_app, bytes_tx: max })),
    );
    expect(res.status).toBe(200);
    expect(await server.stop()).toBe(0);
    const last = (await readFile(server.countsFile, 'utf8')).trimEnd().split('\n').at(-1);
    // 3 * (2^53-1) = 27021597764222973, which no double holds.
    expect(last).toMatch(/"bytes_tx":27021597764222973,"bytes_rx":1500,"partial":true,"instance":"exact-1"}$/);
  });

  it('publishes one count per short window while running', async () => {
    const server = await ServerProcess.start({ ROTATION_INTERVAL_MS: '200' });
    for (let i = 0; i < 5; i++) {
      const res = await postFlows(server.base, [record({ src_app: `app-${i}` })]);
      expect(res.status, await res.text()).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await server.stop('SIGINT')).toBe(0);
    const counts = (await readFile(server.countsFile, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(counts.length).toBeGreaterThanOrEqual(2);
    expect(counts.reduce((sum, c) => sum + c.records, 0)).toBe(5);
    // Windows follow each other on 200 ms boundaries; one may span several when a loaded machine stalls the
    // event loop past a boundary (the scheduler then closes it at the latest boundary).
    const minutes = counts.map((c) => Date.parse(c.minute));
    for (const minute of minutes) expect(minute % 200).toBe(0);
    for (let i = 1; i < minutes.length; i++) expect(minutes[i]).toBeGreaterThan(minutes[i - 1]);
    expect(counts.filter((c) => c.partial)).toEqual([counts.at(-1)]);
  });

  it('refuses to start on a bad configuration, with one line naming the variable', async () => {
    const result = await run(process.execPath, ['dist/server.js'], {
      env: { ...process.env, INMEMORY: 'maybe' },
    }).catch((err) => err);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('invalid configuration: INMEMORY must be true or false\n');
  });
});
