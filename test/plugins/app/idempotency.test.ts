import { afterEach, describe, expect, test } from 'vitest';
import type { buildApp } from '../../../src/app.js';
import { ApiKeys } from '../../../src/auth/api-keys.js';
import { ControllableStore } from '../../support/controllable-store.js';
import { build, record, testConfig } from '../../support/helper.js';

const batch = [record(), record({ src_app: 'baz', bytes_tx: 7 })];
const other = [record({ bytes_tx: 1 })];

describe('Idempotency-Key on POST /flows', () => {
  const apps: ReturnType<typeof buildApp>[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  function setup(deps: Partial<Parameters<typeof buildApp>[0]> = {}) {
    const store = new ControllableStore();
    const { app } = build({ backend: { store }, ...deps });
    apps.push(app);
    const post = (key: string | undefined, payload: unknown, headers: Record<string, string> = {}) =>
      app.inject({
        method: 'POST',
        url: '/flows',
        payload: payload as object,
        headers: key === undefined ? headers : { ...headers, 'idempotency-key': key },
      });
    const totals = async () => (await app.inject('/flows?hour=1')).json();
    return { app, store, post, totals };
  }

  test('a repeat gets the original response and is not applied again', async () => {
    const { app, store, post, totals } = setup();
    const first = await post('retry-1', batch);
    expect(first.statusCode).toBe(200);
    const afterFirst = await totals();
    const repeat = await post('retry-1', batch);
    expect(repeat.statusCode).toBe(200);
    expect(repeat.body).toBe(first.body);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(await totals()).toEqual(afterFirst);
    expect(store.ingests).toBe(1);
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/^flows_idempotent_replays_total 1$/m);
    expect(metrics).toMatch(/^flows_records_ingested_total 2$/m);
  });

  test('the same records with different whitespace are the same request', async () => {
    const { store, app } = setup();
    const send = (payload: string) =>
      app.inject({
        method: 'POST',
        url: '/flows',
        payload,
        headers: { 'content-type': 'application/json', 'idempotency-key': 'ws' },
      });
    expect((await send(JSON.stringify(batch))).statusCode).toBe(200);
    expect((await send(JSON.stringify(batch, null, 2))).statusCode).toBe(200);
    expect(store.ingests).toBe(1);
  });

  test('the same key with a different body is 422 and applies nothing', async () => {
    const { store, post } = setup();
    await post('k', batch);
    const res = await post('k', other);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'FLOWS_ERR_IDEMPOTENCY_MISMATCH' });
    expect(store.ingests).toBe(1);
  });

  test('a repeat that arrives while the first is in flight waits for it and gets its response', async () => {
    const { store, post, totals } = setup();
    const gate = store.hold();
    const first = post('slow', batch);
    await gate.arrived;
    const repeat = post('slow', batch);
    const mismatch = await post('slow', other);
    expect(mismatch.statusCode).toBe(422);
    gate.release();
    const [a, b] = await Promise.all([first, repeat]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(b.body).toBe(a.body);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(store.ingests).toBe(1);
    expect((await totals()).find((t: { src_app: string }) => t.src_app === 'foo').bytes_tx).toBe(100);
  });

  test('repeats waiting on a request that fails: one of them applies the batch, the others get its response', async () => {
    let failFirst: (() => void) | undefined;
    let arrived = () => {};
    const firstArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    class FailsFirstOnRelease extends ControllableStore {
      override async ingest(...args: Parameters<ControllableStore['ingest']>): Promise<void> {
        if (this.ingests === 0 && !failFirst) {
          const released = new Promise<void>((resolve) => {
            failFirst = resolve;
          });
          arrived();
          await released;
          throw new Error('connect ECONNREFUSED 10.0.0.5:5432 (user flows)');
        }
        return super.ingest(...args);
      }
    }
    const store = new FailsFirstOnRelease();
    const { app } = build({ backend: { store } });
    apps.push(app);
    const post = () =>
      app.inject({ method: 'POST', url: '/flows', payload: batch, headers: { 'idempotency-key': 'shared' } });
    const first = post();
    await firstArrived;
    const repeats = [post(), post(), post()];
    await new Promise((resolve) => setTimeout(resolve, 50)); // in-process requests: they are all waiting by then
    failFirst?.();
    expect((await first).statusCode).toBe(500);
    const answers = await Promise.all(repeats);
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(answers.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(2);
    expect(new Set(answers.map((r) => r.body))).toEqual(new Set(['{"accepted":2}']));
    expect(store.ingests).toBe(1);
  });

  test('a failed request does not keep its key: the retry is applied', async () => {
    const { store, post } = setup();
    store.down = true;
    expect((await post('after-outage', batch)).statusCode).toBe(500);
    store.down = false;
    const retry = await post('after-outage', batch);
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(store.ingests).toBe(1);
  });

  test('the store is handed the ticket, to record it in the batch transaction', async () => {
    const { store, post } = setup();
    await post('ticket', batch);
    await post(undefined, batch);
    const [ticket, none] = store.tickets;
    // Keys held in memory (no idempotency store in the backend): bodies told apart by a fingerprint of
    // four UTF-16 code units (BodyFingerprint), not SHA-256 hex.
    expect(ticket).toMatchObject({ key: '-:ticket', bodyHash: expect.any(String) });
    expect(ticket?.bodyHash).toHaveLength(4);
    expect(ticket?.expiresAt).toBeGreaterThan(Date.now());
    expect(none).toBeUndefined();
  });

  test('without the header every request is applied', async () => {
    const { store, post } = setup();
    await post(undefined, batch);
    await post(undefined, batch);
    expect(store.ingests).toBe(2);
  });

  test('a malformed key is 400', async () => {
    const { store, post } = setup();
    for (const key of ['x'.repeat(256), ' leading', 'tab\tin']) {
      const res = await post(key, batch);
      expect(res.statusCode, JSON.stringify(key)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'FLOWS_ERR_IDEMPOTENCY_KEY_INVALID' });
    }
    expect(store.ingests).toBe(0);
  });

  test('keys are per API key: two callers may use the same Idempotency-Key', async () => {
    const a = 'caller-a-0123456789abcdef';
    const b = 'caller-b-0123456789abcdef';
    const { store, post } = setup({ apiKeys: new ApiKeys({ ingest: [a, b], query: [a] }) });
    expect((await post('shared', batch, { authorization: `Bearer ${a}` })).statusCode).toBe(200);
    expect((await post('shared', other, { authorization: `Bearer ${b}` })).statusCode).toBe(200);
    expect(store.ingests).toBe(2);
  });

  test('memory stays bounded: past IDEMPOTENCY_MAX_KEYS the least recently used key is forgotten', async () => {
    const { store, post } = setup({ config: { ...testConfig, IDEMPOTENCY_MAX_KEYS: 2 } });
    await post('a', batch);
    await post('b', batch);
    await post('c', batch);
    expect(store.ingests).toBe(3);
    await post('c', batch);
    expect(store.ingests).toBe(3);
    await post('a', batch);
    expect(store.ingests).toBe(4);
  });
});
