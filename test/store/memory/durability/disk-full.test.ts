import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../../src/schemas/flow.js';
import type { StoreBackend } from '../../../../src/store/flow-store.js';
import type { MemoryFlowStore } from '../../../../src/store/memory/memory-store.js';
import type { MinuteWindow } from '../../../../src/window/minute-window.js';
import { closeWindow } from '../../../support/close-window.js';
import { capturingLogger, type DurableOptions, openDurable } from '../../../support/durable-store.js';
import { record } from '../../../support/helper.js';
import { mountSmallDisk, type SmallDisk, tmpfsSkipReason } from '../../../support/tmpfs.js';

/** 500 records (about 16 KiB logged): never fits in the slack of a page already allocated. */
const batch = (id: number, hour = 1): FlowRecord[] =>
  Array.from({ length: 500 }, (_, i) =>
    record({ src_app: `b${id}-${i % 50}`, dest_app: `d${i}`, bytes_tx: id + 1, hour }),
  );

async function everything(backend: StoreBackend) {
  const hours = await Promise.all([1, 2, 3].map((hour) => backend.store.flowsForHour(hour)));
  return { hours, flows: await backend.store.flowCount() };
}

describe.skipIf(tmpfsSkipReason)('DATA_DIR on a full disk (a real tmpfs)', () => {
  let disk: SmallDisk;
  const opened: StoreBackend[] = [];
  beforeEach(async () => {
    disk = await mountSmallDisk(4 * 1024 * 1024);
  });
  afterEach(async () => {
    for (const backend of opened.splice(0)) await backend.store.close().catch(() => {});
    await disk.unmount();
  });
  const open = async (logger = capturingLogger().logger, bounds?: DurableOptions['bounds']) => {
    const backend = await openDurable(disk.dir, { logger, bounds });
    opened.push(backend);
    return backend;
  };

  it('refuses the batches it cannot log with a 503 that says so, takes them back, and takes them once space is back', async () => {
    const { logger, lines } = capturingLogger();
    const backend = await open(logger);
    await backend.store.ingest(batch(0));
    await backend.store.ingest(batch(1, 2));
    const before = await everything(backend);
    await closeWindow(backend.counter as MinuteWindow, 0);
    await disk.fill();

    // Two groups: 2 and 3 are written (and fail) while 4 to 7 are applied on top of them. All are taken back.
    const ingest = (id: number) => backend.store.ingest(batch(id, 1 + (id % 3)));
    const firstGroup = [2, 3].map(ingest);
    await new Promise((resolve) => setImmediate(resolve));
    const results = await Promise.allSettled([...firstGroup, ...[4, 5, 6, 7].map(ingest)]);
    for (const result of results) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: {
          code: 'FLOWS_ERR_LOG_WRITE_FAILED',
          statusCode: 503,
          headers: { 'retry-after': '10' },
          message:
            'the batch could not be written to the log in DATA_DIR (no space left on the device); nothing of the batch was applied, retry later',
        },
      });
    }
    expect(await everything(backend)).toEqual(before);
    // One failed write took back both groups: the one written and the one applied on top of it.
    expect(lines.filter((l) => l.level === 50)).toEqual([
      expect.objectContaining({ batches: 6, err: expect.objectContaining({ code: 'ENOSPC' }) }),
    ]);
    expect(await closeWindow(backend.counter as MinuteWindow, 0)).toMatchObject({ records: 0 });
    await expect(backend.store.ping()).resolves.toBeUndefined();

    await disk.free();
    await Promise.all([2, 3, 4, 5, 6, 7].map(ingest));
    const after = await everything(backend);
    expect(after.flows).toBe(before.flows + 6 * 500);
    // Each batch counted once: batch b's 500 flows hold b + 1 bytes each.
    for (const id of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const flows = after.hours.flat().filter((f) => f.src_app.startsWith(`b${id}-`));
      expect(flows.reduce((sum, f) => sum + f.bytes_tx, 0)).toBe(500 * (id + 1));
    }
    expect(await everything(await open())).toEqual(after);
  });

  it('refuses a batch that needs a new log segment while the disk is full, and starts that segment later', async () => {
    const backend = await open();
    await backend.store.ingest(batch(0));
    await backend.store.close();
    opened.splice(0);
    const reopened = await open();
    await disk.fill();
    await expect(reopened.store.ingest(batch(1))).rejects.toMatchObject({ code: 'FLOWS_ERR_LOG_WRITE_FAILED' });
    await disk.free();
    await reopened.store.ingest(batch(1));
    expect(await everything(await open())).toEqual(await everything(reopened));
  });

  it('with RETENTION_HOURS: puts back the hours a taken-back batch dropped, and the newest hour with them', async () => {
    const backend = await open(undefined, { retentionHours: 1, maxFlows: 1100 });
    const limits = () => (backend.store as MemoryFlowStore).limits();
    await backend.store.ingest(batch(0, 1));
    await backend.store.ingest(batch(1, 2));
    const before = await everything(backend);
    await disk.fill();

    // Hour 3 expires hour 1, which makes room for its 500 new flows under MAX_FLOWS; it is applied, then
    // its write fails. Meanwhile hour 1 is refused as expired and more new flows as past MAX_FLOWS.
    const expiring = backend.store.ingest(batch(2, 3));
    await expect(backend.store.ingest(batch(3, 1))).rejects.toMatchObject({ code: 'FLOWS_ERR_HOUR_EXPIRED' });
    await expect(backend.store.ingest(batch(4, 2))).rejects.toMatchObject({ code: 'FLOWS_ERR_CAPACITY' });
    expect(await backend.store.flowsForHour(1)).toEqual([]);
    await expect(expiring).rejects.toMatchObject({ code: 'FLOWS_ERR_LOG_WRITE_FAILED' });

    expect(await everything(backend)).toEqual(before);
    expect(limits().retention).toMatchObject({ newest_hour: 2, oldest_hour_kept: 1, expired_total: 0 });
    expect(limits().capacity).toMatchObject({ flows: 1000 });
    // Hour 1 is kept again: a batch for it passes retention (and fails only for the disk).
    await expect(backend.store.ingest(batch(0, 1))).rejects.toMatchObject({ code: 'FLOWS_ERR_LOG_WRITE_FAILED' });

    await disk.free();
    await backend.store.ingest(batch(2, 3));
    const after = await everything(backend);
    expect(after.hours[0]).toEqual([]);
    expect(after.flows).toBe(1000);
    expect(limits().retention).toMatchObject({ newest_hour: 3, expired_total: 500 });
    expect(await everything(await open(undefined, { retentionHours: 1, maxFlows: 1100 }))).toEqual(after);
  });
});
