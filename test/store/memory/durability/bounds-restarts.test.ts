import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../../src/schemas/flow.js';
import type { StoreBackend } from '../../../../src/store/flow-store.js';
import { HourTable } from '../../../../src/store/memory/hour-table.js';
import type { MemoryFlowStore } from '../../../../src/store/memory/memory-store.js';
import type { MinuteWindow } from '../../../../src/window/minute-window.js';
import { closeWindow } from '../../../support/close-window.js';
import {
  capturingLogger,
  durableStores,
  freshDataDir,
  openDurable,
  snapshotsSettled,
} from '../../../support/durable-store.js';
import { record } from '../../../support/helper.js';
import { retentionContract } from '../../retention-contract.js';

// Retention and the bounds (RETENTION_HOURS, MAX_FLOWS, name compaction) with DATA_DIR: what a restart
// brings back, and what a restart with other limits does with it.

const open = durableStores();

// Every batch of the contract goes through the log (drops included) before its answer.
retentionContract('in-memory store with DATA_DIR', async (retentionHours) => ({
  store: (await openDurable(await freshDataDir(), { bounds: { retentionHours } })).store,
  expire: async () => {},
}));

const limits = (backend: StoreBackend) => (backend.store as MemoryFlowStore).limits();

/** `count` flows of `hour` with names never seen before (`prefix`), and one long-lived flow. */
const flows = (hour: number, count: number, prefix = 'pod'): FlowRecord[] => [
  ...Array.from({ length: count }, (_, i) => record({ hour, src_app: `${prefix}-${hour}-${i}`, bytes_tx: i })),
  record({ hour, src_app: 'gateway', bytes_tx: hour }),
];

/** Every flow of the hours, sorted, and the flow count: what must be the same after a restart. */
async function contents(backend: StoreBackend, hours: number[]) {
  const held = await Promise.all(hours.map((hour) => backend.store.flowsForHour(hour)));
  return { flows: held.map((f) => f.map((x) => JSON.stringify(x)).sort()), count: await backend.store.flowCount() };
}

describe('DATA_DIR with RETENTION_HOURS: name compaction', () => {
  it('replays a log written across name compactions exactly (it holds names, not name ids)', async () => {
    const dir = await freshDataDir();
    const first = await open(dir, { bounds: { retentionHours: 1, maxNameBytes: 10_000_000 } });
    const nameBytes: number[] = [];
    for (let hour = 1; hour <= 8; hour++) {
      await first.store.ingest(flows(hour, 3000));
      nameBytes.push(limits(first).capacity?.name_bytes ?? 0);
    }
    // Compaction ran at hours 5 and 8 (once the dead names were as many as the live ones), so the ids in
    // memory were renumbered twice since the log's first batches were written.
    expect(nameBytes[4]).toBeLessThan(0.6 * nameBytes[3]);
    expect(nameBytes[7]).toBeLessThan(0.6 * nameBytes[6]);
    await first.store.ingest([...flows(8, 3000), ...flows(7, 10)]);
    const before = await contents(first, [1, 6, 7, 8]);
    expect(before.flows[0]).toEqual([]);

    // No snapshot was taken: the restart replays every batch, the hours as they were dropped.
    const { logger, lines } = capturingLogger();
    const second = await open(dir, { logger, bounds: { retentionHours: 1, maxNameBytes: 10_000_000 } });
    expect(lines.find((l) => l.msg === 'DATA_DIR: totals recovered')).toMatchObject({ snapshotLsn: 0 });
    expect(await contents(second, [1, 6, 7, 8])).toEqual(before);
    expect(limits(second).retention).toMatchObject({ newest_hour: 8, oldest_hour_kept: 7, expired_total: 0 });
    // The names of the hours replay dropped were compacted at start-up too.
    expect(limits(second).capacity?.name_bytes).toBeLessThan(3 * nameBytes[0]);
    // Updates find their flows under the names they were logged with.
    await second.store.ingest(flows(8, 3000));
    expect((await contents(second, [8])).count).toBe(before.count);
  });

  it('restarts from a snapshot taken after a compaction and a log written across another', async () => {
    const dir = await freshDataDir();
    const bounds = { retentionHours: 1, maxNameBytes: 10_000_000 };
    const first = await open(dir, { bounds });
    for (let hour = 1; hour <= 5; hour++) await first.store.ingest(flows(hour, 3000));
    // Graceful: one snapshot, of names compacted at hour 5.
    await first.store.close();

    const snapshots = capturingLogger();
    const second = await open(dir, { bounds, SNAPSHOT_LOG_BYTES: 64 * 1024, logger: snapshots.logger });
    const nameBytes: number[] = [];
    for (let hour = 6; hour <= 9; hour++) {
      // Several batches an hour, concurrently, while snapshots are taken as the log grows.
      const batch = flows(hour, 3000);
      await Promise.all([0, 1, 2].map((part) => second.store.ingest(batch.slice(part * 1000, part * 1000 + 1001))));
      nameBytes.push(limits(second).capacity?.name_bytes ?? 0);
    }
    expect(Math.min(...nameBytes.slice(1))).toBeLessThan(0.6 * Math.max(...nameBytes));
    const before = await contents(second, [7, 8, 9]);
    await snapshotsSettled(dir, snapshots.lines);
    const { logger, lines } = capturingLogger();
    const third = await open(dir, { bounds, logger });
    expect(await contents(third, [7, 8, 9])).toEqual(before);
    expect(lines.find((l) => l.msg === 'DATA_DIR: totals recovered')?.snapshotLsn).toBeGreaterThan(0);
  });

  it('a table shared with a snapshot being written is copied before compaction renumbers it', () => {
    const table = new HourTable();
    table.indexOf(5, 6, 7, 0);
    const shared = table.share();
    const copy = Uint8Array.from(shared);
    table.renumber(Int32Array.from({ length: 8 }, (_, id) => 7 - id));
    expect(shared).toEqual(copy);
    expect([...table.keys.subarray(0, 3)]).toEqual([2, 1, 0]);
  });
});

describe('DATA_DIR with RETENTION_HOURS: hours across a restart', () => {
  it('does not bring back an hour dropped before the restart, whatever RETENTION_HOURS is now', async () => {
    const dir = await freshDataDir();
    const first = await open(dir, { bounds: { retentionHours: 2 } });
    for (const hour of [1, 2, 3, 4]) await first.store.ingest(flows(hour, 10));
    const before = await contents(first, [1, 2, 3, 4]);
    expect(before.flows[0]).toEqual([]);
    // kill -9, then a longer retention: replay drops hour 1 where it was dropped.
    const second = await open(dir, { bounds: { retentionHours: 100 } });
    expect(await contents(second, [1, 2, 3, 4])).toEqual(before);
    expect(limits(second).retention).toMatchObject({ newest_hour: 4, oldest_hour_kept: 0 });
    await second.store.ingest(flows(1, 1, 'late'));
    expect(await second.store.flowsForHour(1)).toHaveLength(2);
  });

  it('drops at start the hours a shorter RETENTION_HOURS expires, for good, and refuses them afterwards', async () => {
    const dir = await freshDataDir();
    const first = await open(dir, { bounds: { retentionHours: 48 } });
    for (const hour of [20, 40, 60]) await first.store.ingest(flows(hour, 10));
    const kept = await contents(first, [40, 60]);

    // kill -9, then RETENTION_HOURS=24: replay brings hour 20 back, retention drops it again.
    const { logger, lines } = capturingLogger();
    const second = await open(dir, { logger, bounds: { retentionHours: 24 } });
    expect(await second.store.flowsForHour(20)).toEqual([]);
    expect(await contents(second, [40, 60])).toEqual({ ...kept, count: kept.count - 11 });
    expect(limits(second).retention).toEqual({
      retention_hours: 24,
      newest_hour: 60,
      oldest_hour_kept: 36,
      expired_total: 11,
    });
    expect(lines.find((l) => String(l.msg).includes('at start-up'))).toMatchObject({ hours: 1, flows: 11 });
    await expect(second.store.ingest(flows(30, 1))).rejects.toMatchObject({ code: 'FLOWS_ERR_HOUR_EXPIRED' });
    // The drop was made durable by a snapshot: a later start with the old retention does not bring it back.
    expect((await readdir(dir)).filter((f) => f.endsWith('.log'))).toEqual([]);
    const third = await open(dir, { bounds: { retentionHours: 48 } });
    expect(await third.store.flowsForHour(20)).toEqual([]);
    expect(await contents(third, [40, 60])).toEqual(await contents(second, [40, 60]));
  });
});

describe('DATA_DIR with MAX_FLOWS', () => {
  it('recovers every acknowledged flow under a smaller MAX_FLOWS, reports it full, and takes updates only', async () => {
    const dir = await freshDataDir();
    const first = await open(dir, { bounds: { maxFlows: 100 } });
    await first.store.ingest(flows(1, 79));
    const before = await contents(first, [1]);

    const { logger, lines } = capturingLogger();
    const second = await open(dir, { logger, bounds: { maxFlows: 50 } });
    expect(await contents(second, [1])).toEqual(before);
    expect(limits(second).capacity).toMatchObject({ state: 'full', flows: 80, max_flows: 50 });
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^in-memory store full/),
    ]);
    await expect(second.store.ingest(flows(1, 80))).rejects.toMatchObject({ code: 'FLOWS_ERR_CAPACITY' });
    await second.store.ingest(flows(1, 79));
    expect(await second.store.flowCount()).toBe(80);
  });
});

describe('DATA_DIR with RETENTION_HOURS: the minute window', () => {
  it('counts a new flow as distinct in the window where an expired flow had its id', async () => {
    const backend = await open(await freshDataDir(), { bounds: { retentionHours: 0 } });
    const window = backend.counter as MinuteWindow;
    await backend.store.ingest([record({ hour: 1, src_app: 'old' })]);
    // Applied together (one group commit): hour 1 is dropped by the first, its flow's id is not reused by the second.
    await Promise.all([
      backend.store.ingest([record({ hour: 2, src_app: 'new-1' })]),
      backend.store.ingest([record({ hour: 2, src_app: 'new-2' })]),
    ]);
    expect(await closeWindow(window, 0)).toMatchObject({ unique_flows: 3, records: 3 });
    await backend.store.ingest([record({ hour: 2, src_app: 'next-1' }), record({ hour: 2, src_app: 'next-2' })]);
    await backend.store.ingest([record({ hour: 2, src_app: 'new-1' })]);
    expect(await closeWindow(window, 60_000)).toMatchObject({ unique_flows: 3, records: 3 });
  });
});
