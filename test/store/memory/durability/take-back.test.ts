import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../../src/schemas/flow.js';
import { ColumnarBatch } from '../../../../src/store/memory/columnar-batch.js';
import { DurableKeys } from '../../../../src/store/memory/durability/durable-keys.js';
import { PendingGroup } from '../../../../src/store/memory/durability/pending-group.js';
import { takeBack } from '../../../../src/store/memory/durability/take-back.js';
import { Hours } from '../../../../src/store/memory/hours.js';
import { Interner } from '../../../../src/store/memory/interner.js';
import { compactNames } from '../../../../src/store/memory/name-compaction.js';
import { MinuteWindow } from '../../../../src/window/minute-window.js';
import { record, seededRandom } from '../../../support/helper.js';

/** The tables as the journal sees them: interner, hours, keys, and groups opened the way it opens them. */
function tables() {
  const names = new Interner();
  const hours = new Hours();
  const keys = new DurableKeys(100, 60_000);
  const groups: PendingGroup[] = [];
  const openGroup = () => {
    const group = new PendingGroup(1, names, false);
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
    group?.frame.append(batch, names, ticket, 0);
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

/** The flow ids held, as a set. */
function flowIds(hours: Hours): Set<number> {
  const ids = new Set<number>();
  for (const [, table] of hours.entries()) for (let i = 0; i < table.count; i++) ids.add(table.keys[i * 8 + 3]);
  return ids;
}

describe('takeBack (a failed log write takes back every batch not yet durable)', () => {
  it('restores exactly the totals, flows, hours, names, flow ids and keys from before the batches', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seededRandom(seed);
      const { names, hours, keys, groups, openGroup, apply } = tables();
      for (let b = 0; b < 5; b++) apply(randomRecords(random, 100, 4));
      const before = contents(hours, names);
      const versions = new Map([...hours.entries()].map(([hour, t]) => [hour, t.version]));
      const idsBefore = flowIds(hours);

      // Two groups, as while one is being written the next one fills: new flows, hours 4 and 5, new names,
      // Idempotency-Keys, and one batch refused for overflow in between.
      const first = openGroup();
      for (let b = 0; b < 3; b++) apply(randomRecords(random, 150, 6), first, `key-${b}`);
      const second = openGroup();
      apply([record({ hour: 5, bytes_tx: Number.MAX_SAFE_INTEGER }), record({ hour: 5, bytes_tx: 1 })], second);
      for (let b = 3; b < 6; b++) apply(randomRecords(random, 150, 6), second, `key-${b}`);
      const idsTakenBack = [...flowIds(hours)].filter((id) => !idsBefore.has(id));
      takeBack(groups, hours, names, keys);

      expect(contents(hours, names)).toEqual(before);
      expect(keys.size).toBe(0);
      // Cached GET answers of every hour touched are stale now.
      for (const [hour, table] of hours.entries()) expect(table.version).toBeGreaterThan(versions.get(hour) ?? -1);
      // The ids of the flows taken back were never counted in a window: the next new flow takes one of them.
      expect(flowIds(hours)).toEqual(idsBefore);
      apply([record({ src_app: 'fresh', hour: 2 })]);
      const [fresh] = [...flowIds(hours)].filter((id) => !idsBefore.has(id));
      expect(idsTakenBack).toContain(fresh);
    }
  });

  it('puts back the hours the batches dropped, as they were before those batches', () => {
    const { names, hours, keys, groups, openGroup, apply } = tables();
    apply([record({ hour: 1 }), record({ hour: 2, src_app: 'two' })]);
    const before = contents(hours, names);
    const group = openGroup();
    apply([record({ hour: 1, bytes_tx: 5 }), record({ hour: 1, src_app: 'new' }), record({ hour: 7 })], group);
    // As retention with RETENTION_HOURS=5 drops them once hour 7 arrives: out of the tables, parked in the group.
    group.dropped.push(...hours.dropBefore(2));
    expect(hours.get(1)).toBeUndefined();
    takeBack(groups, hours, names, keys);
    expect(contents(hours, names)).toEqual(before);
    expect(hours.newestHour).toBe(2);
  });

  it('takes back after name compaction renumbered every name: finds the flows by name, leaves the names', () => {
    const { hours, keys, groups, openGroup, apply, names } = tables();
    apply([record({ hour: 1, src_app: 'old' }), record({ hour: 2, src_app: 'kept' })]);
    const group = openGroup();
    apply([record({ hour: 2, src_app: 'kept', bytes_tx: 7 }), record({ hour: 2, src_app: 'new' })], group);
    // Hour 1 was dropped by a batch already durable: its name 'old' goes, every other name is renumbered.
    hours.retire(hours.dropBefore(2), 0);
    const compacted = compactNames(names, hours.tables(), true) as Interner;
    expect(compacted.find('old')).toBe(-1);
    const before = { flows: [JSON.stringify([2, 'kept', 'bar', 'vpc-0', 100, 500])], count: 1 };
    takeBack(groups, hours, compacted, keys);
    const after = contents(hours, compacted);
    expect({ flows: after.flows, count: after.count }).toEqual(before);
    // The names the taken-back batch brought stay until the next compaction.
    expect(compacted.find('new')).toBeGreaterThanOrEqual(0);
  });
});
