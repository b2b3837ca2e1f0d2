import { describe, expect, test } from 'vitest';
import { MemoryFlowStore } from '../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../src/window/minute-window.js';
import { build, record } from '../support/helper.js';
import { sample } from '../support/prometheus.js';

describe('bounds in /metrics', () => {
  test('exports the flows and names against their bounds, the capacity state, and retention', async () => {
    const store = new MemoryFlowStore(new MinuteWindow(), { maxFlows: 4, maxNameBytes: 5000, retentionHours: 1 });
    const { app } = build({ backend: { store, limits: store } });
    const scrape = async () => (await app.inject('/metrics')).body;
    let text = await scrape();
    expect(sample(text, 'flows_max')).toBe(4);
    expect(sample(text, 'flows_max_name_bytes')).toBe(5000);
    expect(sample(text, 'flows_capacity_state')).toBe(0);
    expect(sample(text, 'flows_retention_expired_total')).toBe(0);
    // No hour seen yet: NaN (a gap in graphs), not a made-up hour 0.
    expect(sample(text, 'flows_retention_newest_hour')).toBeNaN();
    expect(sample(text, 'flows_retention_oldest_hour')).toBeNaN();

    const post = (payload: object) => app.inject({ method: 'POST', url: '/flows', payload });
    await post([record({ hour: 1 })]);
    await post([record({ hour: 2 }), record({ hour: 2, src_app: 'x' }), record({ hour: 3 })]);
    text = await scrape();
    expect(sample(text, 'flows_held')).toBe(3);
    expect(sample(text, 'flows_retention_newest_hour')).toBe(3);
    expect(sample(text, 'flows_retention_oldest_hour')).toBe(2);
    expect(sample(text, 'flows_retention_expired_total')).toBe(1);
    expect(sample(text, 'flows_name_bytes')).toBe(4 * 40 + '"foo""bar""vpc-0""x"'.length);

    await post([record({ hour: 3, src_app: 'y' }), record({ hour: 3, src_app: 'z' })]);
    text = await scrape();
    expect(sample(text, 'flows_capacity_state')).toBe(2);
    expect(sample(text, 'flows_batches_rejected_total{reason="FLOWS_ERR_CAPACITY"}')).toBe(1);
    await app.close();
  });

  test('registers none of them for a store without bounds', async () => {
    const { app } = build();
    const text = (await app.inject('/metrics')).body;
    expect(text).not.toMatch(/flows_max|flows_capacity|flows_retention/);
    await app.close();
  });
});
