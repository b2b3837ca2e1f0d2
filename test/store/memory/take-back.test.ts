import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../src/schemas/flow.js';
import { ColumnarBatch } from '../../../src/store/memory/columnar-batch.js';
import type { HourTable } from '../../../src/store/memory/hour-table.js';
import { Hours } from '../../../src/store/memory/hours.js';
import { Interner } from '../../../src/store/memory/interner.js';
import { MinuteWindow } from '../../../src/window/minute-window.js';
import { record, seededRandom } from '../../support/helper.js';

/** The batch as the store decodes it (names interned). */
function columnar(records: FlowRecord[], names: Interner): ColumnarBatch {
  const batch = new ColumnarBatch();
  records.forEach((r, i) => {
    batch.ensure(i);
    batch.src[i] = names.id(r.src_app);
    batch.dest[i] = names.id(r.dest_app);
    batch.vpc[i] = names.id(r.vpc_id);
    batch.hour[i] = r.hour;
    batch.tx[i] = r.bytes_tx;
    batch.rx[i] = r.bytes_rx;
  });
  batch.length = records.length;
  return batch;
}

/** Every flow of every hour as text, with each table's version. */
function state(hours: Hours, names: Interner) {
  const flows: string[] = [];
  for (const [hour, table] of hours.entries()) {
    for (let i = 0; i < table.count; i++) {
      const k = i * 8;
      const key = [names.string(table.keys[k]), names.string(table.keys[k + 1]), names.string(table.keys[k + 2])];
      flows.push(JSON.stringify([hour, ...key, table.totals[i * 4 + 2], table.totals[i * 4 + 3]]));
    }
  }
  return { flows: flows.sort(), count: hours.flowCount, names: names.size };
}

function randomRecords(random: (below: number) => number, n: number, hours: number): FlowRecord[] {
  return Array.from({ length: n }, () =>
    record({
      src_app: `app-${random(40)}`,
      dest_app: `svc-${random(40)}`,
      bytes_tx: random(1000),
      bytes_rx: random(1000),
      hour: random(hours),
    }),
  );
}

describe('Hours.takeBack (a failed log write takes back what was not made durable)', () => {
  it('restores exactly the totals, flows, hours, names and flow ids from before the batches', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seededRandom(seed);
      const names = new Interner();
      const hours = new Hours();
      const window = new MinuteWindow();
      for (let b = 0; b < 5; b++) hours.apply(columnar(randomRecords(random, 100, 4), names), window);
      const before = state(hours, names);
      const versions = new Map([...hours.entries()].map(([hour, t]) => [hour, t.version]));
      const mark = { touched: new Map<HourTable, number>(), nextFlowId: hours.nextFlowId, names: names.size };
      hours.touchedSince = mark.touched;

      // Batches not yet durable: new flows, new hours (4 and 5), new names, one refused for overflow.
      const pending: ColumnarBatch[] = [];
      for (let b = 0; b < 6; b++) {
        const batch = columnar(randomRecords(random, 150, 6), names);
        expect(hours.apply(batch, window)).toBe(-1);
        pending.push(batch);
      }
      const overflow = columnar(
        [
          record({ hour: 5, bytes_tx: Number.MAX_SAFE_INTEGER }),
          record({ hour: 5, src_app: 'app-0', dest_app: 'svc-0' }),
        ],
        names,
      );
      hours.apply(overflow, window);
      hours.takeBack(pending, mark.touched, mark.nextFlowId);
      names.truncate(mark.names);
      hours.touchedSince = undefined;

      expect(state(hours, names)).toEqual(before);
      // Readers' cached answers of every hour touched are stale now.
      for (const [hour, table] of hours.entries()) expect(table.version).toBeGreaterThan(versions.get(hour) ?? -1);
      // Flow ids go on from where they were: a new flow gets the next one, unused by any other.
      expect(hours.nextFlowId).toBe(mark.nextFlowId);
      hours.apply(columnar([record({ src_app: 'fresh', hour: 2 })], names), window);
      expect(hours.nextFlowId).toBe(mark.nextFlowId + 1);
    }
  });

  it('skips hours dropped meanwhile and takes back hours created again after that', () => {
    const names = new Interner();
    const hours = new Hours();
    const window = new MinuteWindow();
    hours.apply(columnar([record({ hour: 1 })], names), window);
    const touched = new Map<HourTable, number>();
    hours.touchedSince = touched;
    const pending = [columnar([record({ hour: 1, bytes_tx: 5 }), record({ hour: 7 })], names)];
    hours.apply(pending[0], window);
    // Hour 1 leaves the map with its flows, as a retention drop would take it (Hours has no drop of its own yet).
    const dropped = hours.get(1) as HourTable;
    hours.takeBack([], new Map([[dropped, 0]]), hours.nextFlowId);
    expect(hours.get(1)).toBeUndefined();
    pending.push(columnar([record({ hour: 1, src_app: 'again' })], names));
    hours.apply(pending[1], window);
    hours.takeBack(pending, touched, 1);
    expect([...hours.entries()]).toEqual([]);
    expect(hours.flowCount).toBe(0);
  });
});
