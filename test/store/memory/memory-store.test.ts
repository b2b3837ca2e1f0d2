import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../src/schemas/flow.js';
import { MemoryFlowStore } from '../../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../../src/window/minute-window.js';
import { closeWindow } from '../../support/close-window.js';
import { record, seededRandom } from '../../support/helper.js';

const MAX = Number.MAX_SAFE_INTEGER;

function newStore() {
  const window = new MinuteWindow();
  return { store: new MemoryFlowStore(window), window };
}

/** The reference: the obvious Map of string keys, to compare the hash table against. */
function referenceTotals(batches: FlowRecord[][], hour: number) {
  const totals = new Map<string, { bytes_tx: number; bytes_rx: number }>();
  for (const r of batches.flat()) {
    if (r.hour !== hour) continue;
    const key = JSON.stringify([r.src_app, r.dest_app, r.vpc_id]);
    const t = totals.get(key) ?? { bytes_tx: 0, bytes_rx: 0 };
    t.bytes_tx += r.bytes_tx;
    t.bytes_rx += r.bytes_rx;
    totals.set(key, t);
  }
  return [...totals].map(([key, t]) => {
    const [src_app, dest_app, vpc_id] = JSON.parse(key);
    return { src_app, dest_app, vpc_id, hour, ...t };
  });
}

const byKey = (a: FlowRecord, b: FlowRecord) =>
  `${a.src_app}|${a.dest_app}|${a.vpc_id}`.localeCompare(`${b.src_app}|${b.dest_app}|${b.vpc_id}`);

describe('MemoryFlowStore', () => {
  it('sums records per flow and hour, across batches and within one', async () => {
    const { store } = newStore();
    await store.ingest([record(), record({ bytes_tx: 1, bytes_rx: 2 }), record({ hour: 2 })]);
    await store.ingest([record({ vpc_id: 'vpc-1' }), record()]);
    expect(await store.flowsForHour(1)).toEqual([
      { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', hour: 1, bytes_tx: 201, bytes_rx: 1002 },
      { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-1', hour: 1, bytes_tx: 100, bytes_rx: 500 },
    ]);
    expect(await store.flowsForHour(2)).toEqual([
      { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', hour: 2, bytes_tx: 100, bytes_rx: 500 },
    ]);
    expect(await store.flowsForHour(3)).toEqual([]);
    expect(await store.flowCount()).toBe(3);
  });

  it('keeps flows apart whose names only differ in where the parts split', async () => {
    const { store } = newStore();
    await store.ingest([record({ src_app: 'a|b', dest_app: 'c' }), record({ src_app: 'a', dest_app: 'b|c' })]);
    expect(await store.flowsForHour(1)).toHaveLength(2);
  });

  it('matches a plain Map of totals over many flows, through table growth', async () => {
    const { store } = newStore();
    const batches: FlowRecord[][] = [];
    const random = seededRandom(7);
    const next = () => Math.floor(random(2 ** 31));
    for (let b = 0; b < 40; b++) {
      const batch = Array.from({ length: 500 }, () =>
        record({
          src_app: `app-${next() % 60}`,
          dest_app: `app-${next() % 60}`,
          vpc_id: `vpc-${next() % 4}`,
          bytes_tx: next() % 100_000,
          bytes_rx: next() % 100_000,
          hour: next() % 3,
        }),
      );
      batches.push(batch);
      await store.ingest(batch);
    }
    for (const hour of [0, 1, 2]) {
      const expected = referenceTotals(batches, hour).sort(byKey);
      expect(expected.length).toBeGreaterThan(1000);
      expect((await store.flowsForHour(hour)).sort(byKey)).toEqual(expected);
    }
  });

  it('sums exactly up to 2^53-1', async () => {
    const { store } = newStore();
    await store.ingest([record({ bytes_tx: MAX - 1, bytes_rx: 0 }), record({ bytes_tx: 1, bytes_rx: MAX })]);
    expect(await store.flowsForHour(1)).toEqual([expect.objectContaining({ bytes_tx: MAX, bytes_rx: MAX })]);
  });

  it('rejects a batch that would pass 2^53-1 and leaves the store as it was', async () => {
    const { store, window } = newStore();
    await store.ingest([record({ bytes_tx: MAX - 10 }), record({ src_app: 'other', hour: 5 })]);
    const before = { one: await store.flowsForHour(1), five: await store.flowsForHour(5) };
    const overflowing = [
      record({ bytes_tx: 5 }),
      record({ src_app: 'new-flow', hour: 1 }),
      record({ src_app: 'new-hour', hour: 9 }),
      record({ src_app: 'other', hour: 5, bytes_rx: 7 }),
      record({ bytes_tx: 6 }),
    ];
    await expect(store.ingest(overflowing)).rejects.toMatchObject({
      code: 'FLOWS_ERR_TOTAL_OVERFLOW',
      statusCode: 422,
      message: expect.stringContaining('"src_app":"foo","dest_app":"bar","vpc_id":"vpc-0","hour":1'),
    });
    expect(await store.flowsForHour(1)).toEqual(before.one);
    expect(await store.flowsForHour(5)).toEqual(before.five);
    expect(await store.flowsForHour(9)).toEqual([]);
    expect(await store.flowCount()).toBe(2);
    expect((await closeWindow(window, 0)).records).toBe(2);
  });

  it('forgets the flows a rejected batch created even after the table grew during it', async () => {
    const { store } = newStore();
    await store.ingest([record({ bytes_rx: MAX })]);
    const many = Array.from({ length: 300 }, (_, i) => record({ src_app: `s${i}` }));
    await expect(store.ingest([...many, record({ bytes_rx: 1 })])).rejects.toThrow(/2\^53-1/);
    expect(await store.flowsForHour(1)).toHaveLength(1);
    await store.ingest([record({ src_app: 'later', hour: 3 })]);
    expect(await store.flowsForHour(3)).toEqual([expect.objectContaining({ src_app: 'later' })]);
    await store.ingest(many);
    expect(await store.flowsForHour(1)).toHaveLength(301);
  });

  it('records each applied record in the minute window, by distinct flow', async () => {
    const { store, window } = newStore();
    await store.ingest([record(), record(), record({ hour: 2 }), record({ vpc_id: 'vpc-9' })]);
    expect(await closeWindow(window, 0)).toEqual({
      minute: '1970-01-01T00:00:00.000Z',
      unique_flows: 3,
      records: 4,
      bytes_tx: 400,
      bytes_rx: 2000,
    });
  });
});
