import { afterEach, describe, expect, it } from 'vitest';
import type { FlowStore } from '../../src/store/flow-store.js';
import { record } from '../support/helper.js';

/** A store opened over empty totals with RETENTION_HOURS = `retentionHours`. */
export interface RetentionFixture {
  store: FlowStore;
  /** Lets the store drop what has expired (the in-memory store already has; PostgreSQL runs a pass). */
  expire(): Promise<void>;
}

/**
 * What RETENTION_HOURS means for every store, run against each (like flow-store-contract.ts): which
 * batches are refused, with what, and what is dropped.
 */
export function retentionContract(name: string, open: (retentionHours: number) => Promise<RetentionFixture>): void {
  describe(`${name} (retention contract)`, () => {
    let opened: FlowStore | undefined;
    const fresh = async (hours: number) => {
      const fixture = await open(hours);
      opened = fixture.store;
      return fixture;
    };
    afterEach(async () => {
      await opened?.close();
    });

    it('refuses a batch holding an hour older than the newest minus RETENTION_HOURS, whole, naming the record', async () => {
      const { store } = await fresh(24);
      await store.ingest([record({ hour: 100 }), record({ hour: 76 })]);
      const batch = [
        record({ hour: 100, bytes_tx: 1 }),
        record({ hour: 80 }),
        record({ hour: 75 }),
        record({ hour: 7 }),
      ];
      await expect(store.ingest(batch)).rejects.toMatchObject({
        code: 'FLOWS_ERR_HOUR_EXPIRED',
        statusCode: 422,
        message:
          'record 2: hour 75 has expired: the oldest hour kept is 76 (the newest hour 100 minus RETENTION_HOURS=24); nothing of the batch was applied',
      });
      expect(await store.flowsForHour(100)).toEqual([record({ hour: 100 })]);
      expect(await store.flowsForHour(80)).toEqual([]);
      expect(await store.flowCount()).toBe(2);
    });

    it('judges a batch against the newest hour after it: a batch bringing a newer hour is refused for the hours that expires', async () => {
      const { store } = await fresh(24);
      await store.ingest([record({ hour: 50 })]);
      await expect(store.ingest([record({ hour: 40 }), record({ hour: 100 })])).rejects.toMatchObject({
        code: 'FLOWS_ERR_HOUR_EXPIRED',
        message: expect.stringMatching(
          /^record 0: hour 40 has expired: the oldest hour kept is 76 \(the newest hour 100 /,
        ),
      });
      // Refused batches do not move the newest hour: 40 is still within 24 hours of 50.
      await store.ingest([record({ hour: 40 })]);
      expect(await store.flowsForHour(100)).toEqual([]);
      expect(await store.flowsForHour(40)).toEqual([record({ hour: 40 })]);
    });

    it('keeps the newest hour minus RETENTION_HOURS itself, and with 0 only the newest hour', async () => {
      const { store } = await fresh(0);
      await store.ingest([record({ hour: 9 }), record({ hour: 9, src_app: 'b' })]);
      await expect(store.ingest([record({ hour: 8 })])).rejects.toMatchObject({ code: 'FLOWS_ERR_HOUR_EXPIRED' });
      await store.ingest([record({ hour: 9, bytes_tx: 1 })]);
      expect(await store.flowsForHour(9)).toHaveLength(2);
    });

    it('drops the hours that a newer accepted hour expires, and keeps the rest', async () => {
      const { store, expire } = await fresh(2);
      await store.ingest([
        record({ hour: 1 }),
        record({ hour: 2 }),
        record({ hour: 3, src_app: 'x' }),
        record({ hour: 3 }),
      ]);
      await store.ingest([record({ hour: 5 })]);
      await expire();
      expect(await store.flowsForHour(1)).toEqual([]);
      expect(await store.flowsForHour(2)).toEqual([]);
      expect(await store.flowsForHour(3)).toHaveLength(2);
      expect(await store.flowCount()).toBe(3);
      await expect(store.ingest([record({ hour: 2 })])).rejects.toMatchObject({ code: 'FLOWS_ERR_HOUR_EXPIRED' });
    });

    it('expires nothing while the newest hour is within RETENTION_HOURS of hour 0, and accepts an empty batch', async () => {
      const { store, expire } = await fresh(5);
      await store.ingest([]);
      await store.ingest([record({ hour: 0 }), record({ hour: 5 })]);
      await expire();
      expect(await store.flowsForHour(0)).toEqual([record({ hour: 0 })]);
      await store.ingest([]);
    });
  });
}
