import { once } from 'node:events';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { flowsJsonSize } from '../../../src/store/memory/hour-json.js';
import { HourJsonStream } from '../../../src/store/memory/hour-json-stream.js';
import { HourSnapshots } from '../../../src/store/memory/hour-snapshots.js';
import { HourTable } from '../../../src/store/memory/hour-table.js';
import { Interner } from '../../../src/store/memory/interner.js';
import { MemoryFlowStore } from '../../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../../src/window/minute-window.js';
import { record } from '../../support/helper.js';

/** A table of `flows` flows over names that JSON has to escape, totals up to 2^53-1. */
function table(flows: number, names: Interner): HourTable {
  const t = new HourTable();
  const odd = ['café', 'q"uote', 'back\\slash', '\u0001', '😀', 'x'.repeat(256)];
  for (let i = 0; i < flows; i++) {
    const index = t.indexOf(names.id(odd[i % odd.length]), names.id(`d${i}`), names.id('vpc'), i);
    t.totals[index * 4 + 2] = i === 7 ? Number.MAX_SAFE_INTEGER : i;
    t.totals[index * 4 + 3] = i * 1000;
  }
  return t;
}

function expectedJson(t: HourTable, hour: number, names: Interner): string {
  const flows = [];
  for (let i = 0; i < t.count; i++) {
    const k = i * 8;
    flows.push({
      src_app: names.string(t.keys[k]),
      dest_app: names.string(t.keys[k + 1]),
      vpc_id: names.string(t.keys[k + 2]),
      hour,
      bytes_tx: t.totals[i * 4 + 2],
      bytes_rx: t.totals[i * 4 + 3],
    });
  }
  return JSON.stringify(flows);
}

const size = (t: HourTable, hour: number, names: Interner) => flowsJsonSize(t, hour, names, 0, t.count) + 2;

describe('HourSnapshots and HourJsonStream (large answers)', () => {
  it('streams a snapshot in chunks, byte for byte JSON.stringify, whatever the table does meanwhile', async () => {
    const names = new Interner();
    const t = table(1500, names); // three chunks
    const expected = expectedJson(t, 9, names);
    const snapshots = new HourSnapshots(1 << 30);
    const snapshot = snapshots.acquire(t, names, size(t, 9, names));
    expect(snapshot.jsonSize).toBe(Buffer.byteLength(expected));
    const stream = new HourJsonStream(snapshot, 9, () => snapshots.release(snapshot));
    t.totals[2] = 12345; // a write after the answer started
    t.indexOf(names.id('new'), names.id('new'), names.id('new'), 9999);
    expect((await buffer(stream)).toString('utf8')).toBe(expected);
    expect(snapshots.bytes).toBe(0);
  });

  it('shares one copy between the readers of a version, and makes a new one for a new version', () => {
    const names = new Interner();
    const t = table(10, names);
    const snapshots = new HourSnapshots(1 << 30);
    const a = snapshots.acquire(t, names, size(t, 1, names));
    const b = snapshots.acquire(t, names, size(t, 1, names));
    expect(b).toBe(a);
    expect(snapshots.bytes).toBe(10 * 32);
    t.version++;
    const c = snapshots.acquire(t, names, size(t, 1, names));
    expect(c).not.toBe(a);
    expect(snapshots.bytes).toBe(20 * 32);
    snapshots.release(a);
    expect(snapshots.bytes).toBe(20 * 32);
    snapshots.release(b);
    snapshots.release(c);
    expect(snapshots.bytes).toBe(0);
  });

  it('refuses a copy past its bound with a 503, but always allows one', () => {
    const names = new Interner();
    const big = table(100, names);
    const other = table(10, names);
    const snapshots = new HourSnapshots(50 * 32);
    const first = snapshots.acquire(big, names, size(big, 1, names)); // alone: allowed past the bound
    expect(() => snapshots.acquire(other, names, size(other, 1, names))).toThrow(
      expect.objectContaining({ statusCode: 503, code: 'FLOWS_ERR_OVERLOADED', headers: { 'retry-after': '5' } }),
    );
    expect(snapshots.acquire(big, names, size(big, 1, names))).toBe(first); // sharing costs nothing
    snapshots.release(first);
    snapshots.release(first);
    expect(snapshots.acquire(other, names, size(other, 1, names)).count).toBe(10);
  });

  it('releases the snapshot when the reader goes away mid-answer', async () => {
    const names = new Interner();
    const t = table(3000, names);
    const snapshots = new HourSnapshots(1 << 30);
    const snapshot = snapshots.acquire(t, names, size(t, 1, names));
    const stream = new HourJsonStream(snapshot, 1, () => snapshots.release(snapshot));
    await once(stream, 'readable');
    expect(stream.read()).not.toBeNull(); // the first chunk only: the stream waits for the reader
    expect(snapshots.bytes).toBe(3000 * 32);
    const closed = once(stream, 'close');
    stream.destroy();
    await closed;
    expect(snapshots.bytes).toBe(0);
  });

  it('streams the right names while retention drops hours and compacts the names under it', async () => {
    const store = new MemoryFlowStore(new MinuteWindow(), {
      retentionHours: 1,
      maxNameBytes: 10_000_000,
      maxWholeAnswer: 1024, // every answer here is streamed
    });
    const flows = (hour: number, count = 3000) =>
      Array.from({ length: count }, (_, i) => record({ hour, src_app: `pod-${hour}-${i}`, bytes_tx: i }));
    for (const hour of [1, 2, 3]) await store.ingest(flows(hour));
    const expected = JSON.stringify(await store.flowsForHour(3));
    const first = store.flowsForHourJson(3) as HourJsonStream;
    const namesBefore = store.limits().capacity?.name_bytes ?? 0;
    // Hour 4 drops hour 2; hours 1 and 2's names then outnumber the live ones: they are compacted away,
    // and hour 3's flows renumbered, while its answer is still being read.
    await store.ingest(flows(4, 1));
    expect(store.limits().capacity?.name_bytes).toBeLessThan(namesBefore);
    const second = store.flowsForHourJson(3) as HourJsonStream;
    expect((await buffer(first)).toString('utf8')).toBe(expected);
    expect((await buffer(second)).toString('utf8')).toBe(expected);
    expect(store.snapshotBytes).toBe(0);
  });
});
