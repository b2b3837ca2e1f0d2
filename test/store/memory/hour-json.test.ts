import { describe, expect, it } from 'vitest';
import { MemoryFlowStore } from '../../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../../src/window/minute-window.js';
import { record, seededRandom } from '../../support/helper.js';

describe('MemoryFlowStore.flowsForHourJson', () => {
  it('is byte for byte JSON.stringify(flowsForHour), at the bounds and for odd names', async () => {
    const store = new MemoryFlowStore(new MinuteWindow());
    const random = seededRandom(3);
    const names = ['a', 'café', 'q"uote', 'back\\slash', '\u0001', '😀', 'x'.repeat(256)];
    const totals = [0, 1, 9, 10, 99, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 7, 999_999_999_999_999, Number.MAX_SAFE_INTEGER];
    const records = Array.from({ length: 2000 }, () =>
      record({
        src_app: names[Math.floor(random(names.length))],
        dest_app: `d${Math.floor(random(300))}`,
        bytes_tx: totals[Math.floor(random(totals.length))],
        bytes_rx: totals[Math.floor(random(totals.length))],
        hour: 2 ** 31 - 1,
      }),
    );
    // One record per batch, so a flow that would overflow is rejected on its own.
    for (const r of records) await store.ingest([r]).catch(() => {});
    const json = store.flowsForHourJson(2 ** 31 - 1).toString('utf8');
    expect(json).toBe(JSON.stringify(await store.flowsForHour(2 ** 31 - 1)));
    expect(JSON.parse(json).length).toBeGreaterThan(500);
    expect(store.flowsForHourJson(5).toString()).toBe('[]');
  });
});
