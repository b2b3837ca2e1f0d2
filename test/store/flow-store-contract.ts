import { afterEach, describe, expect, it } from 'vitest';
import type { FlowRecord, FlowTotal } from '../../src/schemas/flow.js';
import type { FlowStore } from '../../src/store/flow-store.js';
import { record, seededRandom } from '../support/helper.js';

const MAX = Number.MAX_SAFE_INTEGER;

/** Flows in key order: stores may answer in any order. */
const sorted = (flows: FlowTotal[]) =>
  [...flows].sort((a, b) =>
    JSON.stringify([a.src_app, a.dest_app, a.vpc_id]).localeCompare(JSON.stringify([b.src_app, b.dest_app, b.vpc_id])),
  );

/** The reference: the obvious Map of string keys. */
function referenceTotals(batches: FlowRecord[][], hour: number): FlowTotal[] {
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

/**
 * What every FlowStore does (src/store/flow-store.ts), written once and run against each store, as
 * undici runs one cache-store suite against each of its stores. `open` returns a store over empty
 * totals; the suite closes it after each test.
 */
export function flowStoreContract(name: string, open: () => Promise<FlowStore>): void {
  describe(`${name} (FlowStore contract)`, () => {
    let opened: FlowStore | undefined;
    let closed = false;
    const fresh = async () => {
      opened = await open();
      closed = false;
      return opened;
    };
    afterEach(async () => {
      if (!closed) await opened?.close();
    });

    it('sums records per flow and hour, across batches and within one, and counts distinct flow-hours', async () => {
      const store = await fresh();
      await store.ingest([record(), record({ bytes_tx: 1, bytes_rx: 2 }), record({ hour: 2 })]);
      await store.ingest([record({ vpc_id: 'vpc-1' }), record()]);
      expect(sorted(await store.flowsForHour(1))).toEqual([
        { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', hour: 1, bytes_tx: 201, bytes_rx: 1002 },
        { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-1', hour: 1, bytes_tx: 100, bytes_rx: 500 },
      ]);
      expect(await store.flowsForHour(2)).toEqual([
        { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', hour: 2, bytes_tx: 100, bytes_rx: 500 },
      ]);
      expect(await store.flowCount()).toBe(3);
    });

    it('answers [] for an hour never seen, and takes an empty batch without changing anything', async () => {
      const store = await fresh();
      expect(await store.flowsForHour(3)).toEqual([]);
      expect(await store.flowsForHour(2 ** 31 - 1)).toEqual([]);
      await store.ingest([]);
      expect(await store.flowCount()).toBe(0);
      await store.ingest([record()]);
      await store.ingest([]);
      expect(await store.flowsForHour(1)).toEqual([record()]);
      expect(await store.flowCount()).toBe(1);
    });

    it('keeps flows apart whose names only differ in where the parts split', async () => {
      const store = await fresh();
      await store.ingest([record({ src_app: 'a|b', dest_app: 'c' }), record({ src_app: 'a', dest_app: 'b|c' })]);
      expect(await store.flowsForHour(1)).toHaveLength(2);
    });

    it('gives names back exactly as sent, and totals as numbers', async () => {
      const store = await fresh();
      const names = ['café', 'quote " and \\ backslash', 'tab\there', '😀', '\u2028', 'x'.repeat(256)];
      await store.ingest(names.map((src_app, i) => record({ src_app, bytes_tx: i })));
      const flows = await store.flowsForHour(1);
      expect(flows.map((f) => f.src_app).sort()).toEqual([...names].sort());
      for (const f of flows) {
        expect(typeof f.bytes_tx).toBe('number');
        expect(typeof f.hour).toBe('number');
      }
    });

    it('matches a plain Map of totals over many flows and hours', async () => {
      const store = await fresh();
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
      let flows = 0;
      for (const hour of [0, 1, 2]) {
        const expected = sorted(referenceTotals(batches, hour));
        expect(expected.length).toBeGreaterThan(1000);
        expect(sorted(await store.flowsForHour(hour))).toEqual(expected);
        flows += expected.length;
      }
      expect(await store.flowCount()).toBe(flows);
    });

    it('sums exactly up to 2^53-1', async () => {
      const store = await fresh();
      await store.ingest([record({ bytes_tx: MAX - 1, bytes_rx: 0 }), record({ bytes_tx: 1, bytes_rx: MAX })]);
      await store.ingest([record({ bytes_tx: 0, bytes_rx: 0 })]);
      expect(await store.flowsForHour(1)).toEqual([expect.objectContaining({ bytes_tx: MAX, bytes_rx: MAX })]);
    });

    it('rejects a batch that would pass 2^53-1 whole, naming the flow, and leaves the store as it was', async () => {
      const store = await fresh();
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
        message: expect.stringContaining('{"src_app":"foo","dest_app":"bar","vpc_id":"vpc-0","hour":1}'),
      });
      expect(await store.flowsForHour(1)).toEqual(before.one);
      expect(await store.flowsForHour(5)).toEqual(before.five);
      expect(await store.flowsForHour(9)).toEqual([]);
      expect(await store.flowCount()).toBe(2);
    });

    it('rejects a batch whose own records pass 2^53-1 together', async () => {
      const store = await fresh();
      await expect(store.ingest([record({ bytes_tx: MAX }), record({ bytes_tx: 1 })])).rejects.toMatchObject({
        code: 'FLOWS_ERR_TOTAL_OVERFLOW',
      });
      expect(await store.flowsForHour(1)).toEqual([]);
      expect(await store.flowCount()).toBe(0);
    });

    it('forgets the flows a rejected batch created, and takes them later', async () => {
      const store = await fresh();
      await store.ingest([record({ bytes_rx: MAX })]);
      const many = Array.from({ length: 300 }, (_, i) => record({ src_app: `s${i}` }));
      await expect(store.ingest([...many, record({ bytes_rx: 1 })])).rejects.toThrow(/2\^53-1/);
      expect(await store.flowsForHour(1)).toHaveLength(1);
      await store.ingest([record({ src_app: 'later', hour: 3 })]);
      expect(await store.flowsForHour(3)).toEqual([expect.objectContaining({ src_app: 'later' })]);
      await store.ingest(many);
      expect(await store.flowsForHour(1)).toHaveLength(301);
      expect(await store.flowCount()).toBe(302);
    });

    it('never shows a reader part of a batch', async () => {
      const store = await fresh();
      // Every batch adds the same to "left" and "right": a reader that sees them differ saw half a batch.
      const batch = (n: number) => [
        record({ src_app: 'left', bytes_tx: n, bytes_rx: 2 * n }),
        ...Array.from({ length: 50 }, (_, i) => record({ src_app: `filler-${i}`, bytes_tx: n })),
        record({ src_app: 'right', bytes_tx: n, bytes_rx: 2 * n }),
      ];
      let writing = true;
      let reads = 0;
      const reader = async () => {
        while (writing) {
          const flows = await store.flowsForHour(1);
          const left = flows.find((f) => f.src_app === 'left');
          const right = flows.find((f) => f.src_app === 'right');
          expect(left?.bytes_tx).toBe(right?.bytes_tx);
          for (const f of [left, right]) if (f) expect(f.bytes_rx).toBe(2 * f.bytes_tx);
          reads++;
          // Lets the writers run between reads of a store that answers synchronously.
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const readers = [reader(), reader()];
      await Promise.all(Array.from({ length: 30 }, (_, n) => store.ingest(batch(n + 1))));
      writing = false;
      await Promise.all(readers);
      expect(reads).toBeGreaterThan(0);
      expect((await store.flowsForHour(1)).find((f) => f.src_app === 'left')?.bytes_tx).toBe((30 * 31) / 2);
    });

    it('answers ping while it can serve', async () => {
      const store = await fresh();
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('settles the batches already submitted before close resolves', async () => {
      const store = await fresh();
      const pending = [store.ingest([record()]), store.ingest([record({ hour: 2 })])];
      closed = true;
      await store.close();
      await expect(Promise.all(pending)).resolves.toEqual([undefined, undefined]);
    });
  });
}
