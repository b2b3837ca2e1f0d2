import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../src/schemas/flow.js';
import { HourJsonCache } from '../../../src/store/memory/hour-json-cache.js';
import { HourTable } from '../../../src/store/memory/hour-table.js';
import { MemoryFlowStore } from '../../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../../src/window/minute-window.js';
import { closeWindow } from '../../support/close-window.js';
import { record } from '../../support/helper.js';
import { retentionContract } from '../retention-contract.js';

retentionContract('in-memory store', async (retentionHours) => ({
  store: new MemoryFlowStore(new MinuteWindow(), { retentionHours }),
  expire: async () => {},
}));

function capturedLog() {
  const lines: { level: number; msg: string; [field: string]: unknown }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

const flows = (hour: number, count: number, prefix = 'app') =>
  Array.from({ length: count }, (_, i) => record({ hour, src_app: `${prefix}-${hour}-${i}`, bytes_tx: i }));

describe('in-memory retention', () => {
  it('drops an expired hour at once: its GET answer, its flows in the count, and in /ready terms', async () => {
    const store = new MemoryFlowStore(new MinuteWindow(), { retentionHours: 1 });
    await store.ingest([...flows(1, 10), ...flows(2, 5)]);
    expect(JSON.parse(store.flowsForHourJson(1).toString())).toHaveLength(10);
    await store.ingest(flows(3, 1));
    expect(store.flowsForHourJson(1).toString()).toBe('[]');
    expect(await store.flowsForHour(1)).toEqual([]);
    expect(await store.flowCount()).toBe(6);
    expect(store.limits().retention).toEqual({
      retention_hours: 1,
      newest_hour: 3,
      oldest_hour_kept: 2,
      expired_total: 10,
    });
    expect(store.limits().capacity).toBeUndefined();
  });

  it('takes the JSON fast path through the same refusal, applying nothing of the body', async () => {
    const store = new MemoryFlowStore(new MinuteWindow(), { retentionHours: 1 });
    store.ingestJson(Buffer.from(JSON.stringify([record({ hour: 10 })])), 10);
    const body = Buffer.from(JSON.stringify([record({ hour: 10, src_app: 'new' }), record({ hour: 8 })]));
    expect(() => store.ingestJson(body, 10)).toThrow(/^record 1: hour 8 has expired: the oldest hour kept is 9/);
    expect(await store.flowsForHour(10)).toEqual([record({ hour: 10 })]);
  });

  it('logs each drop once, and warns when the newest hour jumps past the whole retention', async () => {
    const { log, lines } = capturedLog();
    const store = new MemoryFlowStore(new MinuteWindow(), { retentionHours: 2, log });
    await store.ingest([...flows(1, 3), ...flows(2, 2)]);
    await store.ingest(flows(4, 1));
    await store.ingest(flows(4, 1));
    await store.ingest(flows(5, 1));
    expect(lines.map(({ level, msg, hours, flows, oldestKept }) => ({ level, msg, hours, flows, oldestKept }))).toEqual(
      [
        {
          level: 30,
          msg: 'retention: dropped the hours before the oldest hour kept',
          hours: 1,
          flows: 3,
          oldestKept: 2,
        },
        {
          level: 30,
          msg: 'retention: dropped the hours before the oldest hour kept',
          hours: 1,
          flows: 2,
          oldestKept: 3,
        },
      ],
    );
    await store.ingest(flows(1000, 1));
    expect(lines.at(-1)).toMatchObject({ level: 40, hours: 2, newestHour: 1000, previousNewestHour: 5 });
    expect(lines.at(-1)?.msg).toMatch(/jumped by more than RETENTION_HOURS/);
  });

  it('counts a new flow as distinct in the window where an expired flow had its id', async () => {
    const window = new MinuteWindow();
    const store = new MemoryFlowStore(window, { retentionHours: 0 });
    await store.ingest([record({ hour: 1, src_app: 'old' })]);
    await store.ingest([record({ hour: 2, src_app: 'new-1' })]);
    // Hour 1 is dropped now; its flow's id must not go to a new flow while this window may hold it.
    await store.ingest([record({ hour: 2, src_app: 'new-2' })]);
    expect(await closeWindow(window, 0)).toMatchObject({ unique_flows: 3, records: 3 });
    // After the window closed, the id is reused, and still counted as one distinct flow per flow.
    await store.ingest([record({ hour: 2, src_app: 'next-1' }), record({ hour: 2, src_app: 'next-2' })]);
    await store.ingest([record({ hour: 2, src_app: 'new-1' })]);
    expect(await closeWindow(window, 60_000)).toMatchObject({ unique_flows: 3, records: 3 });
  });

  it('frees the names only expired flows used, and keeps every remaining flow findable under its names', async () => {
    const store = new MemoryFlowStore(new MinuteWindow(), { retentionHours: 1, maxNameBytes: 10_000_000 });
    const kept: FlowRecord[] = [];
    const sizes: number[] = [];
    for (let hour = 1; hour <= 30; hour++) {
      // Each hour: 3000 flows of names never seen before, and a few long-lived names.
      const batch = [...flows(hour, 3000, 'pod'), record({ hour, src_app: 'gateway', vpc_id: `vpc-${hour % 3}` })];
      await store.ingest(batch);
      sizes.push(store.limits().capacity?.name_bytes ?? 0);
      if (hour >= 29) kept.push(...batch);
    }
    // Live names are at most two hours' worth; without compaction they would grow with every hour.
    expect(Math.max(...sizes.slice(5))).toBeLessThan(3 * sizes[1]);
    const key = (f: FlowRecord) => JSON.stringify([f.src_app, f.dest_app, f.vpc_id, f.hour, f.bytes_tx, f.bytes_rx]);
    for (const hour of [29, 30]) {
      const expected = kept.filter((r) => r.hour === hour);
      expect(new Set((await store.flowsForHour(hour)).map(key))).toEqual(new Set(expected.map(key)));
    }
    // Updates after renumbering find their flows instead of creating new ones.
    const before = await store.flowCount();
    await store.ingest(kept);
    expect(await store.flowCount()).toBe(before);
    for (const hour of [29, 30]) {
      expect((await store.flowsForHour(hour)).find((f) => f.src_app === `pod-${hour}-7`)?.bytes_tx).toBe(14);
    }
    expect(JSON.parse(store.flowsForHourJson(29).toString())).toHaveLength(3001);
  });
});

describe('HourJsonCache.forget', () => {
  it('lets go of a dropped table, so the next read writes it afresh', () => {
    const cache = new HourJsonCache();
    const table = new HourTable();
    const json = cache.put(table, Buffer.from('[]'));
    expect(cache.get(table)).toBe(json);
    cache.forget(table);
    expect(cache.get(table)).toBeUndefined();
  });
});
