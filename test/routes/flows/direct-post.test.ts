import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../src/app.js';
import { ApiKeys } from '../../../src/auth/api-keys.js';
import { DIRECT_MAX_BYTES } from '../../../src/routes/flows/direct-post.js';
import { MemoryFlowStore } from '../../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../../src/window/minute-window.js';
import { build, record, testConfig } from '../../support/helper.js';

type App = ReturnType<typeof build>['app'];
const closing: App[] = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((app) => app.close()));
});

/**
 * The app on a real port over a small in-memory store (MAX_FLOWS 5, MAX_BATCH_RECORDS 3), counting the
 * requests that reach Fastify's pipeline: a POST answered directly never does.
 */
async function serve(options: { directPosts?: boolean; apiKeys?: ApiKeys; config?: Partial<AppConfig> } = {}) {
  const store = new MemoryFlowStore(new MinuteWindow(), { maxFlows: 5, maxNameBytes: 100_000, retentionHours: 24 });
  const { app } = build({
    backend: { store, limits: store },
    directPosts: options.directPosts,
    apiKeys: options.apiKeys,
    config: { ...testConfig, MAX_BATCH_RECORDS: 3, ...options.config },
  });
  closing.push(app);
  let reachedFastify = 0;
  app.addHook('onResponse', (_request, _reply, done) => {
    reachedFastify++;
    done();
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base, reachedFastify: () => reachedFastify };
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const json = (value: unknown) => JSON.stringify(value);

/** Status, headers but the date, and body text: what a client can tell two answers apart by. */
async function answerOf(res: Response) {
  const headers = Object.fromEntries([...res.headers].filter(([name]) => name !== 'date'));
  return { status: res.status, headers, body: await res.text() };
}

const post = (base: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = JSON_HEADERS) =>
  fetch(`${base}/flows`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Blob([body]) });

// Every answer POST /flows gives for a body, in an order where each depends on the ones before.
const BODIES: [what: string, body: string | Uint8Array<ArrayBuffer>, idempotencyKey?: string][] = [
  ['one record', json([record()])],
  ['two records, one flow again', json([record({ bytes_tx: 7 }), record({ src_app: 'b' })])],
  ['an empty batch', '[]'],
  ['JSON with spaces and escapes', `[ ${json(record({ src_app: 'c\u00e9' })).replace('c\u00e9', 'c\\u00e9')} ]`],
  ['not JSON', '[{"src_app":"a"'],
  ['a negative count', json([record({ bytes_tx: -1 })])],
  ['a missing field', json([{ src_app: 'a', dest_app: 'b' }])],
  ['an object, not a batch', json(record())],
  ['null', 'null'],
  [
    'a field given twice',
    '[{"src_app":"a","src_app":"b","dest_app":"b","vpc_id":"v","bytes_tx":1,"bytes_rx":1,"hour":1}]',
  ],
  ['a fraction', '[{"src_app":"a","dest_app":"b","vpc_id":"v","bytes_tx":1.5,"bytes_rx":1,"hour":1}]'],
  [
    'invalid UTF-8',
    Uint8Array.from(Buffer.concat([Buffer.from('[{"src_app":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]')])),
  ],
  ['too many records', json([record(), record(), record(), record()])],
  ['a total past 2^53-1', json([record({ bytes_tx: Number.MAX_SAFE_INTEGER })])],
  ['flows past MAX_FLOWS', json([record({ src_app: 'x' }), record({ src_app: 'y' }), record({ src_app: 'z' })])],
  ['an hour already dropped', json([record({ hour: 0 }), record({ hour: 1_000_000 })])],
  ['a new Idempotency-Key', json([record({ bytes_rx: 3 })]), 'key-1'],
  ['the same key and body again: a replay', json([record({ bytes_rx: 3 })]), 'key-1'],
  ['the same key, spaced differently: a replay', `[ ${json(record({ bytes_rx: 3 }))} ]`, 'key-1'],
  ['the same key, another body', json([record({ bytes_rx: 4 })]), 'key-1'],
  ['a key too long', json([record()]), 'k'.repeat(256)],
  ['a key on a refused batch', json([record({ bytes_tx: -1 })]), 'key-3'],
  ['that key on a good batch: applied', json([record({ bytes_tx: 5 })]), 'key-3'],
];

// The lines of /metrics that must agree: counters, and how many requests each latency series timed.
const COMPARED = /^(flows_(records|batches|idempotent)_\w+_total|http_request_duration_seconds_count\{method="POST")/;
async function comparedMetrics(base: string): Promise<string[]> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text.split('\n').filter((line) => COMPARED.test(line));
}

describe('POST /flows answered before Fastify', () => {
  it('answers every body, refusal and failure as the route does, with the same totals and metrics', async () => {
    const direct = await serve();
    const routed = await serve({ directPosts: false });
    const statuses = new Set<number>();
    for (const [what, body, key] of BODIES) {
      const headers = key === undefined ? JSON_HEADERS : { ...JSON_HEADERS, 'idempotency-key': key };
      const a = await answerOf(await post(direct.base, body, headers));
      const b = await answerOf(await post(routed.base, body, headers));
      expect(a, what).toEqual(b);
      statuses.add(a.status);
    }
    // The bodies cover every answer the route gives for a body: else this comparison proves less.
    expect([...statuses].sort()).toEqual([200, 400, 413, 422, 507]);
    expect(direct.reachedFastify()).toBe(0);
    expect(routed.reachedFastify()).toBe(BODIES.length);

    for (const hour of [0, 1, 1_000_000]) {
      const read = (base: string) => fetch(`${base}/flows?hour=${hour}`).then((res) => res.json());
      expect(await read(direct.base)).toEqual(await read(routed.base));
    }
    const metrics = await comparedMetrics(direct.base);
    expect(metrics).toEqual(await comparedMetrics(routed.base));
    expect(metrics).toEqual(
      expect.arrayContaining([
        'flows_records_ingested_total 6',
        'flows_batches_rejected_total{reason="FLOWS_ERR_VALIDATION"} 8',
        'flows_batches_rejected_total{reason="FLOWS_ERR_IDEMPOTENCY_KEY_INVALID"} 1',
        'flows_idempotent_replays_total 2',
      ]),
    );
  });

  it('leaves to the route what the head alone decides, or what the direct way does not do', async () => {
    const { base, reachedFastify } = await serve({ config: { MAX_BATCH_RECORDS: 1000 } });
    const one = json([record()]);
    const big = json(Array.from({ length: 1000 }, (_, i) => record({ bytes_tx: i })));
    expect(Buffer.byteLength(big)).toBeGreaterThan(DIRECT_MAX_BYTES);
    const cases: [what: string, send: () => Promise<Response>, status: number][] = [
      ['a charset', () => post(base, one, { 'content-type': 'application/json; charset=utf-8' }), 200],
      ['a body over DIRECT_MAX_BYTES', () => post(base, big), 200],
      ['another media type', () => post(base, one, { 'content-type': 'text/plain' }), 415],
      ['a query string', () => fetch(`${base}/flows?x=1`, { method: 'POST', headers: JSON_HEADERS, body: one }), 200],
      ['no body', () => fetch(`${base}/flows`, { method: 'POST', headers: JSON_HEADERS }), 400],
    ];
    for (const [what, send, status] of cases) {
      const before = reachedFastify();
      expect((await send()).status, what).toBe(status);
      expect(reachedFastify(), what).toBe(before + 1);
    }
    expect(await chunked(base, one)).toBe(200);
    expect(reachedFastify()).toBe(cases.length + 1);
  });

  it('with API keys: only a key with the ingest scope goes direct; the route refuses the others', async () => {
    const keys = new ApiKeys({ ingest: ['ingest-key-0123456789abcdef'], query: ['query-key-0123456789abcdef'] });
    const { base, reachedFastify } = await serve({ apiKeys: keys });
    const as = (key?: string) =>
      post(base, json([record()]), { ...JSON_HEADERS, ...(key ? { authorization: `Bearer ${key}` } : {}) });

    const missing = await as();
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await as('query-key-0123456789abcdef')).status).toBe(403);
    expect((await as('nobody-key-0123456789abcdef')).status).toBe(401);
    expect(reachedFastify()).toBe(3);
    expect((await as('ingest-key-0123456789abcdef')).status).toBe(200);
    expect(reachedFastify()).toBe(3);
  });

  it('with rate limiting on, every POST goes through the route, so each is counted', async () => {
    const { base, reachedFastify } = await serve({ config: { RATE_LIMIT_MAX: 2, RATE_LIMIT_WINDOW_MS: 60_000 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(base, json([record()]))).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(reachedFastify()).toBe(3);
  });

  it('under load shedding, the route answers 503', async () => {
    // One byte of heap is always exceeded once under-pressure has taken its first sample (once a second).
    const { base, reachedFastify } = await serve({ config: { SHED_MAX_HEAP_USED_BYTES: 1 } });
    let res = await post(base, json([record()]));
    for (let i = 0; i < 50 && res.status !== 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      res = await post(base, json([record()]));
    }
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'FLOWS_ERR_OVERLOADED' });
    expect(reachedFastify()).toBeGreaterThanOrEqual(1);
  });

  it('repeats of one Idempotency-Key sent at once apply the batch once; the others get its answer', async () => {
    const { base, reachedFastify } = await serve();
    const headers = { ...JSON_HEADERS, 'idempotency-key': 'same-key' };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post(base, json([record({ bytes_tx: 11 })]), headers)),
    );
    expect(answers.map((res) => res.status)).toEqual(Array(8).fill(200));
    expect(answers.filter((res) => res.headers.get('idempotent-replayed') === 'true')).toHaveLength(7);
    expect(await Promise.all(answers.map((res) => res.json()))).toEqual(Array(8).fill({ accepted: 1 }));
    expect(await (await fetch(`${base}/flows?hour=1`)).json()).toMatchObject([{ bytes_tx: 11 }]);
    expect(reachedFastify()).toBe(1);
  });

  it('a client gone in the middle of its body leaves nothing applied, is counted as the route counts it, and the next one is served', async () => {
    const body = json([record({ bytes_tx: 1 })]);
    const rejected = 'flows_batches_rejected_total{reason="ECONNRESET"} 1';
    for (const directPosts of [true, false]) {
      const { base } = await serve({ directPosts });
      await new Promise<void>((resolve) => {
        const req = httpRequest(`${base}/flows`, {
          method: 'POST',
          headers: { ...JSON_HEADERS, 'content-length': String(body.length) },
        });
        req.on('error', () => resolve());
        req.write(body.slice(0, 10), () => setTimeout(() => req.destroy(), 50));
        req.on('close', () => resolve());
      });
      let metrics = await (await fetch(`${base}/metrics`)).text();
      for (let i = 0; i < 50 && !metrics.includes(rejected); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        metrics = await (await fetch(`${base}/metrics`)).text();
      }
      expect(metrics, `directPosts: ${directPosts}`).toContain(rejected);
      expect(await (await fetch(`${base}/flows?hour=1`)).json()).toEqual([]);
      expect((await post(base, body)).status).toBe(200);
      expect(await (await fetch(`${base}/flows?hour=1`)).json()).toMatchObject([{ bytes_tx: 1 }]);
    }
  });
});

/** POSTs `body` with Transfer-Encoding: chunked (fetch cannot): the status. */
function chunked(base: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/flows`, { method: 'POST', headers: JSON_HEADERS }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.write(body.slice(0, 5));
    req.end(body.slice(5));
  });
}
