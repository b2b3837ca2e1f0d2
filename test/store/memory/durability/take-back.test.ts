import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../../src/schemas/flow.js';
import { ColumnarBatch } from '../../../../src/store/memory/columnar-batch.js';
import { DurableKeys } from '../../../../src/store/memory/durability/durable-keys.js';
import { PendingGroup } from '../../../../src/store/memory/durability/pending-group.js';
import { takeBack } from '../../../../src/store/memory/durability/take-back.js';
import type { HourTable } from '../../../../src/store/memory/hour-table.js';
import { Hours } from '../../../../src/store/memory/hours.js';
import { Interner } from '../../../../src/store/memory/interner.js';
import { MinuteWindow } from '../../../../src/window/minute-window.js';
import { record, seededRandom } from '../../../support/helper.js';

/** The tables as the journal sees them: interner, hours, keys, and groups opened the way it opens them. */
function tables() {
  const names = new Interner();
  const hours = new Hours();
  const keys = new DurableKeys(100, 60_000);
  const groups: PendingGroup[] = [];
  const openGroup = () => {
    const group = new PendingGroup(1, hours.nextFlowId, names.size, false);
    hours.touchedSince = group.touched;
    groups.push(group);
    return group;
  };
  /** Applies the batch as the store does; logs it in `group` unless it is refused for overflow. */
  const apply = (records: FlowRecord[], group?: PendingGroup, key?: string) => {
    const namesBefore = names.size;
    const batch = columnar(records, names);
    if (hours.apply(batch, group ?? new MinuteWindow()) >= 0) {
      names.truncate(namesBefore);
      return;
    }
    const ticket = key ? { key, bodyHash: 'h', expiresAt: Date.now() + 60_000 } : undefined;
    group?.frame.append(batch, names, namesBefore, ticket);
    if (group && ticket) {
      keys.record(ticket, records.length);
      group.keys.push(ticket.key);
    }
  };
  return { names, hours, keys, groups, openGroup, apply };
}

function columnar(records: FlowRecord[], names: Interner): ColumnarBatch {
  const batch = new ColumnarBatch();
  batch.fill(records, names);
  return batch;
}

/** Every flow of every hour as text, the flow count and the names held. */
function contents(hours: Hours, names: Interner) {
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
      hour: random(hours),
    }),
  );
}

describe('takeBack (a failed log write takes back every batch not yet durable)', () => {
  it('restores exactly the totals, flows, hours, names, flow ids and keys from before the batches', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seededRandom(seed);
      const { names, hours, keys, groups, openGroup, apply } = tables();
      for (let b = 0; b < 5; b++) apply(randomRecords(random, 100, 4));
      const before = contents(hours, names);
      const versions = new Map([...hours.entries()].map(([hour, t]) => [hour, t.version]));
      const nextFlowId = hours.nextFlowId;

      // Two groups, as while one is being written the next one fills: new flows, hours 4 and 5, new names,
      // Idempotency-Keys, and one batch refused for overflow in between.
      const first = openGroup();
      for (let b = 0; b < 3; b++) apply(randomRecords(random, 150, 6), first, `key-${b}`);
      const second = openGroup();
      apply([record({ hour: 5, bytes_tx: Number.MAX_SAFE_INTEGER }), record({ hour: 5, bytes_tx: 1 })], second);
      for (let b = 3; b < 6; b++) apply(randomRecords(random, 150, 6), second, `key-${b}`);
      takeBack(groups, hours, names, keys);

      expect(contents(hours, names)).toEqual(before);
      expect(keys.size).toBe(0);
      // Cached GET answers of every hour touched are stale now.
      for (const [hour, table] of hours.entries()) expect(table.version).toBeGreaterThan(versions.get(hour) ?? -1);
      expect(hours.nextFlowId).toBe(nextFlowId);
      apply([record({ src_app: 'fresh', hour: 2 })]);
      expect(hours.nextFlowId).toBe(nextFlowId + 1);
    }
  });

  it('skips an hour dropped meanwhile, and takes back one created again after that', () => {
    const { names, hours, keys, groups, openGroup, apply } = tables();
    apply([record({ hour: 1 })]);
    const group = openGroup();
    apply([record({ hour: 1, bytes_tx: 5 }), record({ hour: 7 })], group);
    // Hour 1 leaves the tables with its flows, as a retention drop takes it (Hours has no drop of its own yet).
    hours.truncateTo(new Map([[hours.get(1) as HourTable, 0]]), hours.nextFlowId);
    apply([record({ hour: 1, src_app: 'again' })], group);
    takeBack(groups, hours, names, keys);
    expect([...hours.entries()]).toEqual([]);
    expect(hours.flowCount).toBe(0);
  });
});
