import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../src/schemas/flow.js';
import { BYTES_PER_NAME, defaultBounds } from '../../../src/store/memory/capacity.js';
import { MemoryFlowStore, type MemoryStoreOptions } from '../../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../../src/window/minute-window.js';
import { closeWindow } from '../../support/close-window.js';
import { record } from '../../support/helper.js';

const MiB = 2 ** 20;

function open(options: MemoryStoreOptions) {
  const lines: { level: number; msg: string; flows: number }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const window = new MinuteWindow();
  return { store: new MemoryFlowStore(window, { ...options, log }), window, lines };
}

const flows = (count: number, from = 0, hour = 1): FlowRecord[] =>
  Array.from({ length: count }, (_, i) => record({ src_app: `s${from + i}`, hour }));

describe('defaultBounds', () => {
  it('gives half the heap limit to flows at 100 bytes each, and a quarter to names', () => {
    // --max-old-space-size=96 gives a heap limit of 144 MiB on Node 20 (x64); the default heap here, 4144 MiB.
    expect(defaultBounds(144 * MiB)).toMatchObject({ maxFlows: 754_974, maxNameBytes: 36 * MiB });
    expect(defaultBounds(4144 * MiB)).toMatchObject({ maxFlows: 21_726_494, maxNameBytes: 1036 * MiB });
    expect(defaultBounds().maxFlows).toBeGreaterThan(0);
  });
});

describe('MAX_FLOWS', () => {
  it('refuses a batch that would create flows past it, whole, while batches for existing flows still succeed', async () => {
    const { store, window } = open({ maxFlows: 10 });
    await store.ingest([...flows(7), record({ src_app: 's0', hour: 2 })]);
    const before = await store.flowsForHour(1);
    const refused = [record({ src_app: 's1', bytes_tx: 5 }), ...flows(3, 100)];
    await expect(store.ingest(refused)).rejects.toMatchObject({
      code: 'FLOWS_ERR_CAPACITY',
      statusCode: 507,
      message:
        'the in-memory store is full: MAX_FLOWS is 10 and 8 flows are held; the batch would add 3 new flows; nothing of the batch was applied. Batches for flows already held are still accepted; raise the bound (with the memory for it) or set a shorter RETENTION_HOURS',
    });
    expect(await store.flowsForHour(1)).toEqual(before);
    expect(await store.flowCount()).toBe(8);
    // The fast path takes the same refusal.
    expect(() => store.ingestJson(Buffer.from(JSON.stringify(refused)), 100)).toThrow(/MAX_FLOWS is 10/);

    await store.ingest([...flows(7), record({ src_app: 's0', hour: 2 })]);
    await store.ingest(flows(2, 100, 3));
    expect(await store.flowCount()).toBe(10);
    await expect(store.ingest(flows(1, 200))).rejects.toMatchObject({ code: 'FLOWS_ERR_CAPACITY' });
    await store.ingest(flows(7));
    expect((await store.flowsForHour(1)).find((f) => f.src_app === 's0')?.bytes_tx).toBe(300);
    // Refused batches are not counted in the minute window.
    expect(await closeWindow(window, 0)).toMatchObject({ unique_flows: 10, records: 25 });
  });

  it('forgets the names a refused batch brought, so they cost nothing', async () => {
    const { store } = open({ maxFlows: 1, maxNameBytes: 10_000 });
    await store.ingest([record()]);
    const before = store.limits().capacity?.name_bytes;
    expect(before).toBe(3 * BYTES_PER_NAME + '"foo""bar""vpc-0"'.length);
    await expect(store.ingest([record({ src_app: 'x'.repeat(200) })])).rejects.toMatchObject({
      code: 'FLOWS_ERR_CAPACITY',
    });
    expect(store.limits().capacity?.name_bytes).toBe(before);
  });

  it('logs crossing 80 % once, reaching 100 % once, and falling back under 80 % once', async () => {
    const { store, lines } = open({ maxFlows: 10, retentionHours: 0 });
    await store.ingest(flows(7));
    expect(lines).toEqual([]);
    await store.ingest(flows(1, 7));
    await store.ingest(flows(8));
    expect(lines.map((l) => [l.level, l.flows, l.msg])).toEqual([
      [40, 8, 'in-memory store at 80 % of MAX_FLOWS or MAX_NAME_BYTES; new flows are refused at 100 %'],
    ]);
    expect(store.limits().capacity?.state).toBe('high');
    for (let i = 0; i < 3; i++) await expect(store.ingest(flows(3, 8))).rejects.toThrow(/MAX_FLOWS/);
    await store.ingest(flows(1, 8));
    expect(lines.slice(1).map((l) => [l.level, l.flows, l.msg])).toEqual([
      [
        50,
        8,
        'in-memory store full: batches with new flows are refused (507 FLOWS_ERR_CAPACITY) until retention drops hours or MAX_FLOWS / MAX_NAME_BYTES is raised',
      ],
    ]);
    // Still "full" at 90 %: a larger batch of new flows is still refused.
    expect(store.limits().capacity).toEqual({
      state: 'full',
      flows: 9,
      max_flows: 10,
      name_bytes: expect.any(Number),
      max_name_bytes: Number.POSITIVE_INFINITY,
    });
    // A new hour expires hour 1 (RETENTION_HOURS=0): back under 80 %.
    await store.ingest(flows(2, 0, 2));
    expect(lines.at(-1)).toMatchObject({
      level: 30,
      flows: 2,
      msg: 'in-memory store back under 80 % of MAX_FLOWS and MAX_NAME_BYTES',
    });
    expect(store.limits().capacity?.state).toBe('ok');
  });
});

describe('MAX_NAME_BYTES', () => {
  it('refuses a batch whose new names would pass it, whole; new flows of known names still succeed', async () => {
    const { store } = open({ maxNameBytes: 900 });
    const names = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => record({ src_app: `name-${from + i}` }));
    await store.ingest(names(0, 15));
    const held = store.limits().capacity?.name_bytes ?? 0;
    expect(held).toBe(BYTES_PER_NAME * 17 + '"bar""vpc-0"'.length + 15 * '"name-00"'.length - 10);
    expect(held).toBe(817);
    await expect(store.ingest(names(15, 3))).rejects.toMatchObject({
      code: 'FLOWS_ERR_CAPACITY',
      statusCode: 507,
      message: expect.stringMatching(
        /^the in-memory store is full: MAX_NAME_BYTES is 900 and the names held take 817; the batch's new names would bring them to 964;/,
      ),
    });
    expect(await store.flowCount()).toBe(15);
    // New flows made of names already held: no new name, so accepted.
    await store.ingest([record({ src_app: 'name-3', dest_app: 'name-4', vpc_id: 'bar' })]);
    expect(await store.flowCount()).toBe(16);
    expect(store.limits().capacity?.state).toBe('full');
  });
});

describe('bounds with retention', () => {
  it('let a store full of old hours take the batch that starts a new hour, counting what it expires in its favour', async () => {
    const names = (hour: number, count: number) =>
      Array.from({ length: count }, (_, i) =>
        record({ hour, src_app: `pod-${hour}-${i}`, dest_app: `svc-${hour}-${i}` }),
      );
    const { store } = open({ maxFlows: 100, maxNameBytes: 12_000, retentionHours: 0 });
    await store.ingest(names(1, 100));
    await expect(store.ingest(names(1, 101).slice(100))).rejects.toThrow(/MAX_FLOWS is 100/);
    const full = store.limits().capacity;
    expect(full).toMatchObject({ state: 'full', flows: 100 });
    expect(full?.name_bytes).toBeGreaterThan(6_000);
    // 100 new flows and 200 new names: past both bounds, unless hour 1 is counted as gone.
    await store.ingest(names(2, 100));
    expect(await store.flowsForHour(1)).toEqual([]);
    expect(await store.flowsForHour(2)).toHaveLength(100);
    expect(store.limits().capacity).toMatchObject({ flows: 100, name_bytes: full?.name_bytes });
  });

  it('neither drops nor advances anything for a batch refused after all', async () => {
    const { store } = open({ maxFlows: 3, retentionHours: 0 });
    await store.ingest([record({ hour: 1, bytes_tx: Number.MAX_SAFE_INTEGER }), record({ hour: 1, src_app: 'b' })]);
    const overflowing = [record({ hour: 2 }), record({ hour: 2, src_app: 'c' }), record({ hour: 2, src_app: 'd' })];
    await expect(store.ingest([...overflowing, record({ hour: 2, src_app: 'e' })])).rejects.toThrow(/MAX_FLOWS is 3/);
    expect(await store.flowsForHour(1)).toHaveLength(2);
    expect(store.limits().retention?.newest_hour).toBe(1);
    await store.ingest([record({ hour: 1, src_app: 'b' })]);
  });
});
