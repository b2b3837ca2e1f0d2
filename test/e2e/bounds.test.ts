import { afterEach, describe, expect, it } from 'vitest';
import { flow } from '../../testkit/workload.js';
import { sample } from '../support/prometheus.js';
import { ServerProcess } from '../support/server-process.js';

/** A heap this small crashes with a JavaScript heap OOM at about 490k flows of new names without the bounds. */
const SMALL_HEAP = { NODE_OPTIONS: '--max-old-space-size=96' };

const servers: ServerProcess[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await ServerProcess.start(env);
  servers.push(server);
  return server;
}

/** One JSON body of `count` records, record i made by `make(i)` (names only; bytes 1, 1). */
function body(from: number, count: number, hour: number, make: (i: number) => [string, string, string]): string {
  const records: string[] = [];
  for (let i = from; i < from + count; i++) {
    const [src, dest, vpc] = make(i);
    records.push(
      `{"src_app":"${src}","dest_app":"${dest}","vpc_id":"${vpc}","bytes_tx":1,"bytes_rx":1,"hour":${hour}}`,
    );
  }
  return `[${records.join(',')}]`;
}

const post = (server: ServerProcess, json: string) =>
  fetch(`${server.base}/flows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json });

/** Posts batches of new flows until one is refused; resolves with the refusal and the flows accepted. */
async function fillUntilRefused(server: ServerProcess, size: number, make: (i: number) => [string, string, string]) {
  for (let accepted = 0; ; accepted += size) {
    const res = await post(server, body(accepted, size, 1, make));
    if (res.status !== 200) return { status: res.status, error: await res.json(), accepted };
    server.assertAlive();
  }
}

/** What an operator sees once the store is full: still serving, ready, and saying why. */
async function expectServingWhileFull(server: ServerProcess, held: number, existing: string) {
  expect((await post(server, existing)).status).toBe(200);
  const hour = await fetch(`${server.base}/flows?hour=1`);
  expect(hour.status).toBe(200);
  expect(((await hour.json()) as unknown[]).length).toBe(held);
  const ready = await fetch(`${server.base}/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ status: 'ready', capacity: { state: 'full', flows: held } });
  const metrics = await (await fetch(`${server.base}/metrics`)).text();
  expect(sample(metrics, 'flows_capacity_state')).toBe(2);
  expect(sample(metrics, 'flows_held')).toBe(held);
  const messages = server.logs.map((l) => l.msg);
  expect(
    messages.filter(
      (m) => m === 'in-memory store at 80 % of MAX_FLOWS or MAX_NAME_BYTES; new flows are refused at 100 %',
    ),
  ).toHaveLength(1);
  expect(messages.filter((m) => typeof m === 'string' && m.startsWith('in-memory store full:'))).toHaveLength(1);
  server.assertAlive();
}

describe('a small heap with the default bounds', () => {
  it('derives the bounds from the heap limit it was given', async () => {
    const server = await start(SMALL_HEAP);
    const bounds = server.logs.find((l) => l.msg === 'in-memory store bounds') as Record<string, number>;
    expect(bounds.heapSizeLimit).toBeLessThan(200 * 2 ** 20);
    expect(bounds).toMatchObject({
      maxFlows: Math.floor(bounds.heapSizeLimit / 200),
      maxNameBytes: Math.floor(bounds.heapSizeLimit / 4),
    });
  });

  it('refuses flows with new names at MAX_NAME_BYTES, cleanly, and keeps serving', async () => {
    const server = await start(SMALL_HEAP);
    const long = (prefix: string, i: number) => `${prefix}-${i}-`.padEnd(100, 'x');
    const make = (i: number): [string, string, string] => [long('pod', i), long('svc', i), long('vpc', i)];
    const { status, error, accepted } = await fillUntilRefused(server, 5000, make);
    expect(status).toBe(507);
    expect(error).toMatchObject({
      code: 'FLOWS_ERR_CAPACITY',
      message: expect.stringMatching(/^the in-memory store is full: MAX_NAME_BYTES is /),
    });
    expect(accepted).toBeGreaterThan(50_000);
    for (let i = 0; i < 3; i++) expect((await post(server, body(accepted, 5000, 1, make))).status).toBe(507);
    await expectServingWhileFull(server, accepted, body(0, 5000, 1, make));
  }, 120_000);

  it('refuses new flows of known names at MAX_FLOWS, cleanly, and keeps serving', async () => {
    const server = await start(SMALL_HEAP);
    const make = (i: number): [string, string, string] => {
      const f = flow(i);
      return [f.src_app, f.dest_app, f.vpc_id];
    };
    const { status, error, accepted } = await fillUntilRefused(server, 10_000, make);
    expect(status).toBe(507);
    expect(error).toMatchObject({
      code: 'FLOWS_ERR_CAPACITY',
      message: expect.stringMatching(/^the in-memory store is full: MAX_FLOWS is /),
    });
    expect(accepted).toBeGreaterThan(700_000);
    await expectServingWhileFull(server, accepted, body(0, 10_000, 1, make));
  }, 180_000);
});

describe('a small heap with retention', () => {
  it('takes hour after hour of new names, more in all than MAX_NAME_BYTES holds, without refusing any', async () => {
    const server = await start({ ...SMALL_HEAP, RETENTION_HOURS: '1' });
    const perHour = 20_000;
    // Without the names freed with their hours, MAX_NAME_BYTES (36 MiB here) would refuse new names in hour 13.
    for (let hour = 1; hour <= 16; hour++) {
      const make = (i: number): [string, string, string] => [
        `pod-${hour}-${i}-`.padEnd(60, 'p'),
        `svc-${hour}-${i}`,
        'vpc-0',
      ];
      for (let from = 0; from < perHour; from += 10_000) {
        const res = await post(server, body(from, 10_000, hour, make));
        expect([hour, res.status]).toEqual([hour, 200]);
      }
    }
    const metrics = await (await fetch(`${server.base}/metrics`)).text();
    expect(sample(metrics, 'flows_held')).toBe(2 * perHour);
    expect(sample(metrics, 'flows_retention_expired_total')).toBe(14 * perHour);
    // Two hours of names are live; 16 hours' worth (about 3 MB each) have gone through.
    expect(sample(metrics, 'flows_name_bytes')).toBeLessThan(4 * perHour * 2 * 100);
    expect(sample(metrics, 'flows_capacity_state')).toBe(0);
    server.assertAlive();
  }, 180_000);
});
