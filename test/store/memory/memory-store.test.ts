import { describe, expect, it } from 'vitest';
import { MemoryFlowStore } from '../../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../../src/window/minute-window.js';
import { closeWindow } from '../../support/close-window.js';
import { record } from '../../support/helper.js';
import { flowQueriesContract } from '../flow-queries-contract.js';
import { flowStoreContract } from '../flow-store-contract.js';

flowStoreContract('in-memory store', async () => new MemoryFlowStore(new MinuteWindow()));
flowQueriesContract('in-memory store', async () => new MemoryFlowStore(new MinuteWindow()));

function newStore() {
  const window = new MinuteWindow();
  return { store: new MemoryFlowStore(window), window };
}

describe('MemoryFlowStore and its minute window', () => {
  it('records each applied record in the minute window, by distinct flow', async () => {
    const { store, window } = newStore();
    await store.ingest([record(), record(), record({ hour: 2 }), record({ vpc_id: 'vpc-9' })]);
    expect(await closeWindow(window, 0)).toEqual({
      minute: '1970-01-01T00:00:00.000Z',
      unique_flows: 3,
      records: 4,
      bytes_tx: 400,
      bytes_rx: 2000,
    });
  });

  it('records nothing of a rejected batch', async () => {
    const { store, window } = newStore();
    await store.ingest([record({ bytes_tx: Number.MAX_SAFE_INTEGER - 10 }), record({ src_app: 'other', hour: 5 })]);
    await expect(store.ingest([record({ src_app: 'new' }), record({ bytes_tx: 11 })])).rejects.toThrow(/2\^53-1/);
    expect(await closeWindow(window, 0)).toMatchObject({ unique_flows: 2, records: 2 });
  });

  it('takes the JSON fast path for a plain body and declines what it cannot prove valid, applying nothing', async () => {
    const { store } = newStore();
    const body = (records: unknown) => Buffer.from(JSON.stringify(records));
    expect(store.ingestJson(body([record(), record({ hour: 2 })]), 10)).toBe(2);
    expect(store.ingestJson(body([record({ src_app: 'caf\u00e9' })]), 10)).toBeUndefined();
    expect(store.ingestJson(body([record(), record()]), 1)).toBeUndefined();
    expect(await store.flowCount()).toBe(2);
    expect(JSON.parse(store.flowsForHourJson(1).toString())).toEqual([record()]);
  });
});
