import { afterEach, describe, expect, it } from 'vitest';
import type { buildApp } from '../../../src/app.js';
import type { FlowStore } from '../../../src/store/flow-store.js';
import { MemoryFlowStore } from '../../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../../src/window/minute-window.js';
import { build, record, testConfig } from '../../support/helper.js';

/** The memory store behind only the FlowStore methods every store has: the generic path. */
function genericOnly(store: MemoryFlowStore): FlowStore {
  return {
    ingest: (records) => store.ingest(records),
    flowsForHour: (hour) => store.flowsForHour(hour),
    ping: () => store.ping(),
    flowCount: () => store.flowCount(),
    close: () => store.close(),
    hourSummaries: (from, to) => store.hourSummaries(from, to),
    topFlows: (query) => store.topFlows(query),
  };
}

const apps: ReturnType<typeof buildApp>[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function appOver(generic: boolean) {
  const store = new MemoryFlowStore(new MinuteWindow());
  const app = build({ backend: { store: generic ? genericOnly(store) : store } }).app;
  apps.push(app);
  const post = (payload: string) =>
    app.inject({ method: 'POST', url: '/flows', headers: { 'content-type': 'application/json' }, payload });
  const get = async (hour: number) => (await app.inject({ method: 'GET', url: `/flows?hour=${hour}` })).json();
  return { store, app, post, get };
}

describe.each([
  ['fast path', false],
  ['generic path (a store without ingestJson/flowsForHourJson)', true],
])('POST/GET /flows through the %s', (_name, generic) => {
  it('sums the same as the store does, whatever the names hold', async () => {
    const { post, get } = appOver(generic);
    const odd = ['café', 'quote " and \\ backslash', 'tab\there', '😀', '\u2028', 'x'.repeat(256)];
    const records = odd.map((name, i) => record({ src_app: name, bytes_tx: i, bytes_rx: Number.MAX_SAFE_INTEGER - i }));
    expect((await post(JSON.stringify([...records, record()]))).json()).toEqual({ accepted: 7 });
    expect((await post(JSON.stringify([record()]))).statusCode).toBe(200);
    const flows = await get(1);
    expect(flows).toEqual(
      expect.arrayContaining([...records.map((r) => ({ ...r })), { ...record(), bytes_tx: 200, bytes_rx: 1000 }]),
    );
    expect(flows).toHaveLength(7);
  });

  it('treats escaped and plain spellings of a name as one flow', async () => {
    const { post, get } = appOver(generic);
    await post(JSON.stringify([record({ src_app: 'abc' })]));
    const escaped = '[{"src_app":"a\\u0062c","dest_app":"bar","vpc_id":"vpc-0","bytes_tx":1,"bytes_rx":100,"hour":1}]';
    expect((await post(escaped)).json()).toEqual({ accepted: 1 });
    expect(await get(1)).toEqual([{ ...record({ src_app: 'abc' }), bytes_tx: 101, bytes_rx: 600 }]);
  });

  it('refuses a name with an unpaired surrogate, naming record and field, and takes a surrogate pair', async () => {
    const { post, get, store } = appOver(generic);
    const name = (escaped: string) =>
      `{"src_app":"${escaped}","dest_app":"bar","vpc_id":"vpc-0","bytes_tx":1,"bytes_rx":1,"hour":1}`;
    for (const [at, lone] of [
      [0, '\\ud800'],
      [2, 'a\\udfffb'],
      [1, '\\ude00\\ud83d'],
    ] as const) {
      const batch = [name('ok-1'), name('ok-2'), name('ok-3')];
      batch[at] = name(lone);
      const res = await post(`[${batch.join(',')}]`);
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toBe(
        `record ${at}: field "src_app" must not contain NUL or an unpaired UTF-16 surrogate`,
      );
    }
    expect(await store.flowCount()).toBe(0);
    // A pair, escaped or not, is one character, and the same flow either way.
    await post(`[${name('\\ud83d\\ude00')},${name('😀')}]`);
    expect(await get(1)).toEqual([{ ...record({ src_app: '😀' }), bytes_tx: 2, bytes_rx: 2 }]);
  });

  it.each([
    ['a field given twice', '"src_app":"a","src_app":"z"', 'record 0: duplicate field "src_app"'],
    [
      'a fraction that rounds',
      '"bytes_tx":0.99999999999999999',
      'record 0: field "bytes_tx" must be a plain decimal integer (no fraction or exponent)',
    ],
    ['an exponent', '"hour":1e2', 'record 0: field "hour" must be a plain decimal integer (no fraction or exponent)'],
    ['invalid UTF-8', '"src_app":"x\u00ff\u00fe"', 'body is not valid UTF-8'],
  ])('rejects %s, applying nothing', async (_name, fields, message) => {
    const { app, store } = appOver(generic);
    const others = Object.entries(record())
      .filter(([key]) => !fields.includes(`"${key}"`))
      .map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
    // latin1: each character one byte, so \u00ff\u00fe are sent as the bytes FF FE.
    const payload = Buffer.from(`[{${[fields, ...others].join(',')}}]`, 'latin1');
    const res = await app.inject({
      method: 'POST',
      url: '/flows',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe(message);
    expect(await store.flowCount()).toBe(0);
  });

  it('rejects a bad record after many good ones with the usual message, applying nothing', async () => {
    const { post, get, store } = appOver(generic);
    const batch = [...Array.from({ length: 50 }, (_, i) => record({ src_app: `n${i}` })), record({ hour: -1 })];
    const res = await post(JSON.stringify(batch));
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('record 50: field "hour" must be >= 0');
    expect(await store.flowCount()).toBe(0);
    expect(await get(1)).toEqual([]);
  });

  it('answers an overflow with 422 and leaves totals and the GET answer as they were', async () => {
    const { post, get } = appOver(generic);
    await post(JSON.stringify([record({ bytes_tx: Number.MAX_SAFE_INTEGER })]));
    const before = await get(1);
    const res = await post(JSON.stringify([record({ src_app: 'new' }), record({ bytes_tx: 1 })]));
    expect(res.statusCode).toBe(422);
    expect(await get(1)).toEqual(before);
  });

  it('answers an empty body and a body over the limit as before', async () => {
    const { post } = appOver(generic);
    expect((await post('')).json()).toMatchObject({ statusCode: 400, code: 'FST_ERR_CTP_EMPTY_JSON_BODY' });
    expect((await post(`[${' '.repeat(testConfig.BODY_LIMIT)}]`)).json()).toMatchObject({
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
    expect((await post('[1,')).json()).toMatchObject({ statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
  });
});

describe('GET /flows serves fresh totals after every write', () => {
  it('never answers from a stale copy', async () => {
    const { post, get } = appOver(false);
    for (let n = 1; n <= 3; n++) {
      await post(JSON.stringify([record({ bytes_tx: 1, bytes_rx: 2 })]));
      expect(await get(1)).toEqual([{ ...record(), bytes_tx: n, bytes_rx: 2 * n }]);
      expect(await get(1)).toEqual([{ ...record(), bytes_tx: n, bytes_rx: 2 * n }]);
    }
    expect(await get(2)).toEqual([]);
  });
});

describe('the app', () => {
  /** The real memory store, counting how often each fast path answered. */
  class CountingStore extends MemoryFlowStore {
    fastIngests = 0;
    fastReads = 0;
    override ingestJson(body: Uint8Array, maxRecords: number) {
      const accepted = super.ingestJson(body, maxRecords);
      if (accepted !== undefined) this.fastIngests++;
      return accepted;
    }
    override flowsForHourJson(hour: number) {
      this.fastReads++;
      return super.flowsForHourJson(hour);
    }
  }

  it('reaches the store fast paths through every plugin and wrapper', async () => {
    const store = new CountingStore(new MinuteWindow());
    const app = build({ backend: { store } }).app;
    apps.push(app);
    const res = await app.inject({
      method: 'POST',
      url: '/flows',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify([record()]),
    });
    expect(res.json()).toEqual({ accepted: 1 });
    expect((await app.inject({ method: 'GET', url: '/flows?hour=1' })).json()).toEqual([record()]);
    expect({ fastIngests: store.fastIngests, fastReads: store.fastReads }).toEqual({ fastIngests: 1, fastReads: 1 });
  });
});
