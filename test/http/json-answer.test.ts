import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipOnce } from '../../src/http/json-answer.js';
import { MemoryFlowStore } from '../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../src/window/minute-window.js';
import { loadingBatches } from '../../testkit/workload.js';
import { build, record } from '../support/helper.js';
import { pgApp } from '../support/pg-app.js';
import { freshDatabase } from '../support/pg-db.js';

describe('GET /flows compression', () => {
  const store = new MemoryFlowStore(new MinuteWindow());
  const { app } = build({ backend: { store } });
  const get = (url: string, encoding?: string) =>
    app.inject({ method: 'GET', url, headers: encoding === undefined ? {} : { 'accept-encoding': encoding } });

  beforeAll(async () => {
    for (const body of loadingBatches(10_000, 10_000, 3)) store.ingestJson(Buffer.from(body), 10_000);
    await store.ingest([record({ hour: 4 })]);
  });
  afterAll(() => app.close());

  it('gzips an answer when the client asks, to the same JSON', async () => {
    const plain = await get('/flows?hour=3');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('accept-encoding');
    const zipped = await get('/flows?hour=3', 'br, gzip');
    expect(zipped.statusCode).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('accept-encoding');
    expect(zipped.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 5);
    expect(gunzipSync(zipped.rawPayload).equals(plain.rawPayload)).toBe(true);
  });

  it.each([
    ['no Accept-Encoding', undefined],
    ['identity', 'identity'],
    ['gzip refused', 'gzip;q=0'],
    ['only encodings it does not offer', 'br, zstd'],
  ])('sends it as it is with %s', async (_name, encoding) => {
    const res = await get('/flows?hour=3', encoding);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.json()).toHaveLength(10_000);
  });

  it('sends a small answer as it is: compressing it would cost more than it saves', async () => {
    const res = await get('/flows?hour=4', 'gzip');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.json()).toEqual([record({ hour: 4 })]);
  });

  it('compresses a cached answer once, and again only once the hour changed', async () => {
    const first = await get('/flows?hour=3', 'gzip');
    const again = await get('/flows?hour=3', 'gzip');
    expect(again.rawPayload.equals(first.rawPayload)).toBe(true);
    const json = store.flowsForHourJson(3) as Buffer;
    expect(gzipOnce(json)).toBe(gzipOnce(json)); // one compression, shared
    await store.ingest([record({ hour: 3, src_app: 'new' })]);
    const changed = await get('/flows?hour=3', 'gzip');
    expect(JSON.parse(gunzipSync(changed.rawPayload).toString())).toHaveLength(10_001);
  });
});

describe('GET /flows compression with the PostgreSQL store (a page by page stream)', () => {
  it('gzips the stream when the client asks, to the same JSON', async () => {
    const { app, store } = await pgApp(await freshDatabase());
    try {
      await store.ingest(Array.from({ length: 300 }, (_, i) => record({ src_app: `app-${i}` })));
      const plain = await app.inject({ method: 'GET', url: '/flows?hour=1' });
      expect(plain.headers['content-encoding']).toBeUndefined();
      const zipped = await app.inject({ method: 'GET', url: '/flows?hour=1', headers: { 'accept-encoding': 'gzip' } });
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(JSON.parse(gunzipSync(zipped.rawPayload).toString())).toEqual(plain.json());
      expect(plain.json()).toHaveLength(300);
    } finally {
      await app.close();
    }
  });
});
