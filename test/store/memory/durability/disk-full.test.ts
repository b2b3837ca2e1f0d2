import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../../src/schemas/flow.js';
import type { StoreBackend } from '../../../../src/store/flow-store.js';
import type { MinuteWindow } from '../../../../src/window/minute-window.js';
import { closeWindow } from '../../../support/close-window.js';
import { capturingLogger, openDurable } from '../../../support/durable-store.js';
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
  const open = async (logger = capturingLogger().logger) => {
    const backend = await openDurable(disk.dir, { logger });
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
});
