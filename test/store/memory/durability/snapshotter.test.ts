import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogWriter } from '../../../../src/store/memory/durability/log-writer.js';
import { capturingLogger, freshDataDir, openDurable } from '../../../support/durable-store.js';
import { record } from '../../../support/helper.js';

/** Holds every snapshot file back until the test opens it: a large snapshot, or a slow disk. */
const snapshotFiles = vi.hoisted(() => {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
});

vi.mock('../../../../src/store/memory/durability/snapshot-writer.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../../src/store/memory/durability/snapshot-writer.js')>();
  return {
    ...original,
    writeSnapshotFile: async (...args: Parameters<typeof original.writeSnapshotFile>) => {
      await snapshotFiles.opened;
      return original.writeSnapshotFile(...args);
    },
  };
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Snapshotter, when a failed log write takes batches back while a snapshot is written', () => {
  it('discards the snapshot, which holds a refused batch whose LSN an acknowledged one has now', async () => {
    // The first log write is held until the test has applied batch 2; the second write fails (a full disk).
    let firstWriteStarted = () => {};
    const started = new Promise<void>((resolve) => {
      firstWriteStarted = resolve;
    });
    const write = LogWriter.prototype.write;
    let writes = 0;
    vi.spyOn(LogWriter.prototype, 'write').mockImplementation(async function (this: LogWriter, ...args) {
      writes++;
      if (writes === 1) firstWriteStarted();
      if (writes === 2) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return write.apply(this, args);
    });
    const dir = await freshDataDir();
    const { logger, lines } = capturingLogger();
    const { store } = await openDurable(dir, { SNAPSHOT_LOG_BYTES: 4096, logger });

    // Batch 1 (LSN 1) makes the log pass SNAPSHOT_LOG_BYTES once durable: a snapshot is captured then,
    // holding batch 2 (LSN 2), applied while batch 1 is written.
    const first = store.ingest(Array.from({ length: 300 }, (_, i) => record({ src_app: `s${i}`, hour: 1 })));
    await started;
    const refused = store.ingest([record({ src_app: 'refused', hour: 1 })]);
    await first;
    await expect(refused).rejects.toMatchObject({ code: 'FLOWS_ERR_LOG_WRITE_FAILED' });
    // Batch 3 is given LSN 2 again, and is acknowledged before the snapshot file is written.
    await store.ingest([record({ src_app: 'acknowledged', hour: 1 })]);
    snapshotFiles.open();
    await store.close();

    const reopened = await openDurable(dir);
    const names = (await reopened.store.flowsForHour(1)).map((f) => f.src_app);
    await reopened.store.close();
    expect(names).toHaveLength(301);
    expect(names).toContain('acknowledged');
    expect(names).not.toContain('refused');
    expect(lines.find((l) => l.msg?.toString().startsWith('DATA_DIR: snapshot failed'))).toMatchObject({ lsn: 2 });
  });
});
