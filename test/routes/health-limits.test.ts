import { describe, expect, test } from 'vitest';
import { MemoryFlowStore } from '../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../src/window/minute-window.js';
import { build, record } from '../support/helper.js';

describe('/ready with bounds', () => {
  test('reports capacity and retention, and stays ready when the store is full', async () => {
    const store = new MemoryFlowStore(new MinuteWindow(), { maxFlows: 2, maxNameBytes: 5000, retentionHours: 6 });
    const { app } = build({ backend: { store, limits: store } });
    const ready = async () => {
      const res = await app.inject('/ready');
      return { status: res.statusCode, ...res.json() };
    };
    expect(await ready()).toEqual({
      status: 'ready',
      store: 'up',
      sink: { kind: 'none' },
      capacity: { state: 'ok', flows: 0, max_flows: 2, name_bytes: 0, max_name_bytes: 5000 },
      retention: { retention_hours: 6, newest_hour: null, oldest_hour_kept: null, expired_total: 0 },
    });
    const post = (payload: object) => app.inject({ method: 'POST', url: '/flows', payload });
    await post([record({ hour: 10 })]);
    await post([record({ hour: 20 })]);
    expect((await post([record({ hour: 20, src_app: 'x' }), record({ hour: 20, src_app: 'y' })])).statusCode).toBe(507);
    expect(await ready()).toMatchObject({
      status: 'ready',
      capacity: { state: 'full', flows: 1, max_flows: 2 },
      retention: { newest_hour: 20, oldest_hour_kept: 14, expired_total: 1 },
    });
    await app.close();
  });

  test('leaves both out for a store without bounds', async () => {
    const { app } = build();
    expect(Object.keys((await app.inject('/ready')).json())).toEqual(['status', 'store', 'sink']);
    await app.close();
  });
});
