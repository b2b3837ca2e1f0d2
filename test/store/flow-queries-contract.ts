import { afterEach, describe, expect, it } from 'vitest';
import { type Dimension, otherGroups, type TopQuery } from '../../src/queries/flow-queries.js';
import type { FlowRecord } from '../../src/schemas/flow.js';
import type { FlowStore } from '../../src/store/flow-store.js';
import { record, seededRandom } from '../support/helper.js';
import { referenceHours, referenceOther, referenceTop } from '../support/query-reference.js';

const MAX = Number.MAX_SAFE_INTEGER;

const query = (overrides: Partial<TopQuery> = {}): TopQuery => ({
  from_hour: 0,
  to_hour: 100,
  by: ['src_app'],
  metric: 'bytes',
  limit: 10,
  filters: {},
  ...overrides,
});

/**
 * The range queries every FlowStore answers (`hourSummaries`, `topFlows`), run against each store like
 * flowStoreContract, and held to the naive reference in test/support/query-reference.ts: both stores
 * give the same answers, exactly, sums past 2^53-1 and the order of ties included.
 */
export function flowQueriesContract(name: string, open: () => Promise<FlowStore>): void {
  describe(`${name} (range queries contract)`, () => {
    let opened: FlowStore | undefined;
    const fresh = async (records: FlowRecord[] = []) => {
      opened = await open();
      for (let i = 0; i < records.length; i += 500) await opened.ingest(records.slice(i, i + 500));
      return opened;
    };
    afterEach(async () => {
      await opened?.close();
    });

    it('sums each hour of a range that has flows, ascending, bounds included', async () => {
      const records = [
        record({ hour: 3, bytes_tx: 1, bytes_rx: 2 }),
        record({ hour: 3, src_app: 'x', bytes_tx: 10, bytes_rx: 20 }),
        record({ hour: 3, bytes_tx: 5, bytes_rx: 0 }),
        record({ hour: 7 }),
        record({ hour: 8 }),
      ];
      const store = await fresh(records);
      expect(await store.hourSummaries(3, 7)).toEqual([
        { hour: 3, flows: 2, bytes_tx: 16, bytes_rx: 22 },
        { hour: 7, flows: 1, bytes_tx: 100, bytes_rx: 500 },
      ]);
      expect(await store.hourSummaries(4, 6)).toEqual([]);
      expect(await store.hourSummaries(0, 743)).toEqual(referenceHours(records, 0, 743));
    });

    it('ranks groups by the metric, the rest in one other row, so rows + other = total', async () => {
      const records = [
        record({ src_app: 'a', bytes_tx: 100, bytes_rx: 1 }),
        record({ src_app: 'b', bytes_tx: 1, bytes_rx: 200 }),
        record({ src_app: 'c', bytes_tx: 50, bytes_rx: 50 }),
        record({ src_app: 'c', dest_app: 'other', bytes_tx: 60, bytes_rx: 0, hour: 2 }),
      ];
      const store = await fresh(records);
      const top = await store.topFlows(query({ limit: 2 }));
      expect(top.rows).toEqual([
        { src_app: 'b', bytes_tx: 1, bytes_rx: 200, bytes: 201, flows: 1 },
        { src_app: 'c', bytes_tx: 110, bytes_rx: 50, bytes: 160, flows: 2 },
      ]);
      expect(top.total).toEqual({ groups: 3, bytes_tx: 211, bytes_rx: 251, bytes: 462, flows: 4 });
      expect(otherGroups(top)).toEqual({ groups: 1, bytes_tx: 100, bytes_rx: 1, bytes: 101, flows: 1 });
      expect((await store.topFlows(query({ metric: 'bytes_tx', limit: 1 }))).rows[0].src_app).toBe('c');
      expect((await store.topFlows(query({ metric: 'bytes_rx', limit: 1 }))).rows[0].src_app).toBe('b');
    });

    it('breaks ties by the by fields ascending: names by code point, hours by number', async () => {
      // JavaScript's default sort would put the astral 😀 before U+FFFD, and hour 10 before hour 9.
      const names = ['😀', '\uFFFD', 'é', 'a', 'Z', 'ab'];
      const records = [
        ...names.map((src_app) => record({ src_app, bytes_tx: 5, bytes_rx: 5 })),
        record({ src_app: 'h', hour: 10 }),
        record({ src_app: 'h', hour: 9 }),
      ];
      const store = await fresh(records);
      const byName = await store.topFlows(query({ to_hour: 1 }));
      expect(byName.rows.map((r) => r.src_app)).toEqual(['Z', 'a', 'ab', 'é', '\uFFFD', '😀']);
      const byHour = await store.topFlows(query({ by: ['hour'], from_hour: 9, to_hour: 10 }));
      expect(byHour.rows.map((r) => r.hour)).toEqual([9, 10]);
      expect(byHour.rows[0]).toEqual({ hour: 9, bytes_tx: 100, bytes_rx: 500, bytes: 600, flows: 1 });
    });

    it('groups by several dimensions, each row carrying exactly those fields, ties in their order', async () => {
      const records = [
        record({ src_app: 'b', dest_app: 'x', vpc_id: 'v1' }),
        record({ src_app: 'a', dest_app: 'y', vpc_id: 'v1' }),
        record({ src_app: 'a', dest_app: 'y', vpc_id: 'v2' }),
        record({ src_app: 'a', dest_app: 'x', vpc_id: 'v1', hour: 2, bytes_tx: 0, bytes_rx: 0 }),
      ];
      const store = await fresh(records);
      const srcDest = await store.topFlows(query({ by: ['src_app', 'dest_app'] }));
      expect(srcDest.rows).toEqual([
        { src_app: 'a', dest_app: 'y', bytes_tx: 200, bytes_rx: 1000, bytes: 1200, flows: 2 },
        { src_app: 'b', dest_app: 'x', bytes_tx: 100, bytes_rx: 500, bytes: 600, flows: 1 },
        { src_app: 'a', dest_app: 'x', bytes_tx: 0, bytes_rx: 0, bytes: 0, flows: 1 },
      ]);
      const destSrc = await store.topFlows(query({ by: ['dest_app', 'vpc_id', 'src_app', 'hour'], to_hour: 1 }));
      expect(destSrc.rows.map((r) => [r.dest_app, r.vpc_id, r.src_app, r.hour])).toEqual([
        ['x', 'v1', 'b', 1],
        ['y', 'v1', 'a', 1],
        ['y', 'v2', 'a', 1],
      ]);
    });

    it('filters by exact names, several values meaning any of them; an unknown name matches nothing', async () => {
      const records = [
        record({ src_app: 'a', vpc_id: 'v1' }),
        record({ src_app: 'b', vpc_id: 'v1', bytes_tx: 1 }),
        record({ src_app: 'c', vpc_id: 'v2' }),
        record({ src_app: 'A', vpc_id: 'v1' }),
      ];
      const store = await fresh(records);
      const anyOf = await store.topFlows(query({ filters: { src_app: ['a', 'b', 'nobody'], vpc_id: ['v1'] } }));
      expect(anyOf.rows.map((r) => r.src_app)).toEqual(['a', 'b']);
      expect(anyOf.total.groups).toBe(2);
      const none = await store.topFlows(query({ filters: { dest_app: ['nobody'] } }));
      expect(none).toEqual({ rows: [], total: { groups: 0, bytes_tx: 0, bytes_rx: 0, bytes: 0, flows: 0 } });
      const both = await store.topFlows(query({ filters: { src_app: ['c'], vpc_id: ['v1'] } }));
      expect(both.rows).toEqual([]);
    });

    it('answers an empty range, or an empty store, with no rows and zero totals', async () => {
      const store = await fresh([record({ hour: 5 })]);
      const zero = { groups: 0, bytes_tx: 0, bytes_rx: 0, bytes: 0, flows: 0 };
      expect(await store.topFlows(query({ from_hour: 6, to_hour: 9 }))).toEqual({ rows: [], total: zero });
      expect(await store.topFlows(query({ from_hour: 2 ** 31 - 744, to_hour: 2 ** 31 - 1 }))).toEqual({
        rows: [],
        total: zero,
      });
      expect(await store.hourSummaries(6, 9)).toEqual([]);
    });

    it('keeps sums past 2^53-1 exact, as bigints', async () => {
      // Six flows at the per-flow limit in one group, over two hours.
      const records = Array.from({ length: 6 }, (_, i) =>
        record({ dest_app: `d${i}`, hour: 1 + (i % 2), bytes_tx: MAX, bytes_rx: MAX - i }),
      );
      records.push(record({ src_app: 'small', bytes_tx: 1, bytes_rx: 1 }));
      const store = await fresh(records);
      const top = await store.topFlows(query({ limit: 1 }));
      const tx = 6n * BigInt(MAX);
      const rx = 6n * BigInt(MAX) - 15n;
      expect(top.rows).toEqual([{ src_app: 'foo', bytes_tx: tx, bytes_rx: rx, bytes: tx + rx, flows: 6 }]);
      expect(top.total).toEqual({ groups: 2, bytes_tx: tx + 1n, bytes_rx: rx + 1n, bytes: tx + rx + 2n, flows: 7 });
      expect(otherGroups(top)).toEqual({ groups: 1, bytes_tx: 1, bytes_rx: 1, bytes: 2, flows: 1 });
      expect(await store.hourSummaries(1, 2)).toEqual(referenceHours(records, 1, 2));
      expect((await store.hourSummaries(1, 1))[0].bytes_tx).toBe(3n * BigInt(MAX) + 1n);
    });

    it('matches the naive reference on seeded random data and queries', async () => {
      const random = seededRandom(12);
      const pick = <T>(list: readonly T[]) => list[random(list.length)];
      const names = ['a', 'b', 'B', 'é', '😀', '\uFFFD', 'app-1', 'app-10', 'app-2'];
      const records: FlowRecord[] = Array.from({ length: 3000 }, () =>
        record({
          src_app: pick(names),
          dest_app: pick(names),
          vpc_id: pick(['v1', 'v2', 'v3']),
          hour: random(12),
          // Few distinct values, so ties are common; now and then a huge one, so sums pass 2^53-1.
          bytes_tx: random(50) === 0 ? MAX - random(1000) : random(4) * 100,
          bytes_rx: random(4) * 100,
        }),
      );
      // A flow may reach the limit from several records: keep only records that keep its totals exact.
      const totals = new Map<string, [number, number]>();
      const valid = records.filter((r) => {
        const key = JSON.stringify([r.src_app, r.dest_app, r.vpc_id, r.hour]);
        const [tx, rx] = totals.get(key) ?? [0, 0];
        if (tx + r.bytes_tx > MAX || rx + r.bytes_rx > MAX) return false;
        totals.set(key, [tx + r.bytes_tx, rx + r.bytes_rx]);
        return true;
      });
      const store = await fresh(valid);
      const dimensions: Dimension[] = ['src_app', 'dest_app', 'vpc_id', 'hour'];
      for (let i = 0; i < 120; i++) {
        const by = dimensions.filter(() => random(2) === 0).sort(() => random(3) - 1);
        const from = random(12);
        const q = query({
          from_hour: from,
          to_hour: from + random(14),
          by: by.length > 0 ? by : [pick(dimensions)],
          metric: pick(['bytes', 'bytes_tx', 'bytes_rx'] as const),
          limit: 1 + random(30),
          filters: random(3) === 0 ? { src_app: [pick(names), pick(names), 'nobody'] } : {},
        });
        if (random(4) === 0) q.filters.vpc_id = [pick(['v1', 'v2', 'v3', 'v9'])];
        const answer = await store.topFlows(q);
        expect({ q, answer }).toEqual({ q, answer: referenceTop(valid, q) });
        expect(otherGroups(answer)).toEqual(referenceOther(valid, q));
      }
      expect(await store.hourSummaries(0, 20)).toEqual(referenceHours(valid, 0, 20));
    });
  });
}
