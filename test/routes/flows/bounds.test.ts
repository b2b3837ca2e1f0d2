import { afterEach, describe, expect, it } from 'vitest';
import type { buildApp } from '../../../src/app.js';
import { MemoryFlowStore } from '../../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../../src/window/minute-window.js';
import { build, record } from '../../support/helper.js';

/** The app over an in-memory store with MAX_FLOWS = 3 and RETENTION_HOURS = 24, as openStore wires it. */
function boundedApp() {
  const store = new MemoryFlowStore(new MinuteWindow(), { maxFlows: 3, maxNameBytes: 100_000, retentionHours: 24 });
  return build({ backend: { store, limits: store } }).app;
}

describe('POST /flows against the bounds', () => {
  const apps: ReturnType<typeof buildApp>[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  const post = (app: ReturnType<typeof buildApp>, payload: object) =>
    app.inject({ method: 'POST', url: '/flows', payload });

  it('answers 507 FLOWS_ERR_CAPACITY, without Retry-After, and still takes batches for the flows held', async () => {
    const app = boundedApp();
    apps.push(app);
    expect((await post(app, [record(), record({ src_app: 'b' })])).statusCode).toBe(200);
    const refused = await post(app, [record({ bytes_tx: 1 }), record({ src_app: 'c' }), record({ src_app: 'd' })]);
    expect(refused.statusCode).toBe(507);
    expect(refused.headers['retry-after']).toBeUndefined();
    // The README shows this body.
    expect(refused.json()).toEqual({
      statusCode: 507,
      code: 'FLOWS_ERR_CAPACITY',
      error: 'Insufficient Storage',
      message:
        'the in-memory store is full: MAX_FLOWS is 3 and 2 flows are held; the batch would add 2 new flows; nothing of the batch was applied. Batches for flows already held are still accepted; raise the bound (with the memory for it) or set a shorter RETENTION_HOURS',
    });
    expect((await post(app, [record(), record({ src_app: 'b' })])).json()).toEqual({ accepted: 2 });
    expect((await app.inject('/flows?hour=1')).json()).toEqual([
      record({ bytes_tx: 200, bytes_rx: 1000 }),
      record({ src_app: 'b', bytes_tx: 200, bytes_rx: 1000 }),
    ]);
  });

  it('answers 422 FLOWS_ERR_HOUR_EXPIRED for an expired hour, on the fast path and the generic one', async () => {
    const app = boundedApp();
    apps.push(app);
    await post(app, [record({ hour: 500 })]);
    // The README shows this body.
    const body = {
      statusCode: 422,
      code: 'FLOWS_ERR_HOUR_EXPIRED',
      error: 'Unprocessable Entity',
      message:
        'record 1: hour 475 has expired: the oldest hour kept is 476 (the newest hour 500 minus RETENTION_HOURS=24); nothing of the batch was applied',
    };
    const fast = await post(app, [record({ hour: 500 }), record({ hour: 475 })]);
    expect([fast.statusCode, fast.json()]).toEqual([422, body]);
    // A non-ASCII name sends the body down the generic path (JSON.parse, schema, ingest).
    const generic = await post(app, [record({ hour: 500, src_app: 'caf\u00e9' }), record({ hour: 475 })]);
    expect([generic.statusCode, generic.json()]).toEqual([422, body]);
    expect((await app.inject('/flows?hour=500')).json()).toEqual([record({ hour: 500 })]);
  });
});
