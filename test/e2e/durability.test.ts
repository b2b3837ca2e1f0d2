import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../testkit/free-port.js';
import { freshDataDir } from '../support/durable-store.js';
import { record } from '../support/helper.js';
import { batch, checkBatches, countOf, type Outcome, startLoad, waitFor } from '../support/load.js';
import { ServerProcess } from '../support/server-process.js';
import { mountSmallDisk, tmpfsSkipReason } from '../support/tmpfs.js';

const run = promisify(execFile);

// The built server as a real process with DATA_DIR; `npm test` builds dist/ before vitest runs.
describe('DATA_DIR, the real process', () => {
  const running: ServerProcess[] = [];
  const start = async (dir: string, env: Record<string, string> = {}) => {
    const server = await ServerProcess.start({ DATA_DIR: dir, ...env });
    running.push(server);
    return server;
  };
  afterAll(async () => {
    await Promise.all(running.map((s) => s.kill()));
  });

  it('has every acknowledged batch, once, after kill -9 under load, and again after a second restart', {
    timeout: 120_000,
  }, async () => {
    const dir = await freshDataDir();
    // Small snapshot trigger: snapshots are taken (and log segments dropped) while the load runs.
    let server = await start(dir, { SNAPSHOT_LOG_BYTES: '65536' });
    let killed = false;
    const load = startLoad(
      () => server,
      4,
      8,
      () => killed,
    );
    await waitFor(() => countOf(load.result.outcomes, 'acknowledged') >= 300);
    await server.kill();
    killed = true;
    const result = await load.done;
    expect(server.logs.some((l) => l.msg === 'DATA_DIR: snapshot written')).toBe(true);

    server = await start(dir);
    const flows = await server.hour(4);
    expect(checkBatches(result.outcomes, flows)).toEqual([]);
    // Nothing but sent batches is there: acknowledged ones, and perhaps some whose answer the kill cut off.
    const stored = new Set(flows.map((f) => f.src_app.split('-')[0]));
    expect(stored.size).toBeGreaterThanOrEqual(countOf(result.outcomes, 'acknowledged'));
    expect(stored.size).toBeLessThanOrEqual(result.outcomes.size);
    expect(server.logs.find((l) => l.msg === 'DATA_DIR: totals recovered')).toMatchObject({
      snapshotLsn: expect.any(Number),
      replayedBatches: expect.any(Number),
    });

    await server.kill();
    server = await start(dir);
    expect(await server.hour(4)).toEqual(flows);
    await server.stop();
  });

  it('on SIGTERM writes one snapshot, leaves no log, publishes the partial minute, and starts from it', async () => {
    const dir = await freshDataDir();
    const first = await start(dir);
    expect((await first.post([record(), record(), record({ hour: 2 })])).status).toBe(200);
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(await readdir(dir)).toEqual([expect.stringMatching(/^snapshot-\d{16}\.snap$/)]);
    const counts = (await readFile(first.countsFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(counts.at(-1)).toMatchObject({ partial: true });
    expect(counts.reduce((sum, c) => sum + c.records, 0)).toBe(3);

    const second = await start(dir);
    expect(await second.hour(1)).toEqual([{ ...record(), bytes_tx: 200, bytes_rx: 1000 }]);
    expect(await second.hour(2)).toEqual([record({ hour: 2 })]);
    await second.stop();
  });

  it('answers a repeated Idempotency-Key from before a kill -9 without applying it again', async () => {
    const dir = await freshDataDir();
    const key = { 'idempotency-key': 'survives-kill' };
    const first = await start(dir);
    expect((await first.post([record({ hour: 3 })], key)).status).toBe(200);
    await first.kill();
    const second = await start(dir);
    const repeat = await second.post([record({ hour: 3 })], key);
    expect(repeat.status).toBe(200);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(await repeat.json()).toEqual({ accepted: 1 });
    expect(await second.hour(3)).toEqual([record({ hour: 3 })]);
    await second.stop();
  });

  it('refuses to start on a corrupted snapshot, with one log line that says which file and what to do', async () => {
    const dir = await freshDataDir();
    const first = await start(dir);
    expect((await first.post([record()])).status).toBe(200);
    expect(await first.stop()).toBe(0);
    const [name] = await readdir(dir);
    const bytes = await readFile(join(dir, name));
    bytes[bytes.length - 40] ^= 1;
    await writeFile(join(dir, name), bytes);
    const result = await run(process.execPath, ['dist/server.js'], {
      env: { PATH: process.env.PATH, DATA_DIR: dir, PORT: '0', COUNTS_FILE: join(dir, '..', 'counts.jsonl') },
    }).catch((err) => err);
    expect(result.code).toBe(1);
    const fatal = result.stdout
      .trim()
      .split('\n')
      .map((l: string) => JSON.parse(l))
      .find((l: { level: number }) => l.level === 60);
    expect(fatal.msg).toMatch(
      new RegExp(
        `^could not open DATA_DIR: DATA_DIR: snapshot ${name} is corrupt \\(.*\\); refusing to start.*Restore DATA_DIR from a backup\\.$`,
      ),
    );
    expect(result.stdout).not.toMatch(/flow aggregation ready/);
  });

  it('says DATA_DIR is ignored when the PostgreSQL store is chosen', async () => {
    const port = await freePort();
    const result = await run(process.execPath, ['dist/server.js'], {
      env: {
        PATH: process.env.PATH,
        INMEMORY: 'false',
        DATA_DIR: await freshDataDir(),
        DATABASE_URL: `postgres://nobody@127.0.0.1:${port}/none`,
        PG_TIMEOUT_MS: '100',
        PORT: '0',
      },
    }).catch((err) => err);
    expect(result.code).toBe(1);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l: string) => JSON.parse(l));
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'DATA_DIR is ignored: the PostgreSQL store (INMEMORY=false) keeps its own data',
      }),
    );
    // The breaker's own warning about the unreachable database may be written just before or after it.
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 60, msg: 'could not open the PostgreSQL store (DATABASE_URL)' }),
    );
  });

  it.skipIf(tmpfsSkipReason)(
    'on a full disk answers 503 FLOWS_ERR_LOG_WRITE_FAILED, loses nothing acknowledged, and recovers',
    async () => {
      const disk = await mountSmallDisk(8 * 1024 * 1024);
      try {
        const server = await start(disk.dir);
        for (const id of [0, 1]) expect((await server.post(batch(id, 6))).status).toBe(200);
        await disk.fill();
        // A small batch may still fit in the log's last page: post until one is refused.
        const outcomes = new Map<number, Outcome>([
          [0, 'acknowledged'],
          [1, 'acknowledged'],
        ]);
        let refused: Response | undefined;
        for (let id = 2; !refused && id < 100; id++) {
          const res = await server.post(batch(id, 6));
          outcomes.set(id, res.status === 200 ? 'acknowledged' : 'unavailable');
          if (res.status !== 200) refused = res;
        }
        expect(refused?.status).toBe(503);
        expect(refused?.headers.get('retry-after')).toBe('10');
        expect(await refused?.json()).toEqual({
          statusCode: 503,
          code: 'FLOWS_ERR_LOG_WRITE_FAILED',
          error: 'Service Unavailable',
          message:
            'the batch could not be written to the log in DATA_DIR (no space left on the device); nothing of the batch was applied, retry later',
        });
        expect(checkBatches(outcomes, await server.hour(6))).toEqual([]);
        expect((await fetch(`${server.base}/ready`)).status).toBe(200);

        await disk.free();
        const retried = outcomes.size - 1;
        expect((await server.post(batch(retried, 6))).status).toBe(200);
        outcomes.set(retried, 'acknowledged');
        await server.kill();
        const restarted = await start(disk.dir);
        expect(checkBatches(outcomes, await restarted.hour(6))).toEqual([]);
        await restarted.stop();
      } finally {
        await disk.unmount();
      }
    },
  );
});
