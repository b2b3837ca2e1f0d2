import { readdir, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoreBackend } from '../../../../src/store/flow-store.js';
import { FRAME_HEADER_BYTES, readFrameHeader } from '../../../../src/store/memory/durability/log-frame.js';
import { capturingLogger, durableStores, freshDataDir } from '../../../support/durable-store.js';
import { record } from '../../../support/helper.js';

const open = durableStores();

/** A data directory whose one log segment holds three frames, one batch each (hours 1, 2, 3); and its path. */
async function threeFrames(): Promise<{ dir: string; segment: string; frames: number[]; size: number }> {
  const dir = await freshDataDir();
  const store = (await open(dir)).store;
  for (const hour of [1, 2, 3]) await store.ingest([record({ hour }), record({ hour, src_app: `s${hour}` })]);
  const [name] = (await readdir(dir)).filter((f) => f.endsWith('.log'));
  const segment = join(dir, name);
  const bytes = await readFile(segment);
  const frames: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    frames.push(at);
    at += FRAME_HEADER_BYTES + (readFrameHeader(bytes.subarray(at)) as { payloadBytes: number }).payloadBytes;
  }
  expect(frames).toHaveLength(3);
  return { dir, segment, frames, size: bytes.length };
}

async function flipByte(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[at] ^= 0x40;
  await writeFile(path, bytes);
}

/** How many flows each of hours 1, 2 and 3 holds. */
const hoursHeld = (backend: StoreBackend) =>
  Promise.all([1, 2, 3].map(async (hour) => (await backend.store.flowsForHour(hour)).length));

describe('DATA_DIR recovery: the end of the log', () => {
  it('drops a record torn by a crash at the end of the log, with a warning, and goes on from there', async () => {
    const { dir, segment, frames, size } = await threeFrames();
    await truncate(segment, size - 7);
    const { logger, lines } = capturingLogger();
    const store = await open(dir, { logger });
    expect(await hoursHeld(store)).toEqual([2, 2, 0]);
    expect(lines.find((l) => String(l.msg).includes('dropped a torn record'))).toMatchObject({
      level: 40,
      offset: frames[2],
      droppedBytes: size - 7 - frames[2],
    });
    await store.store.ingest([record({ hour: 3 })]);
    const again = capturingLogger();
    expect(await hoursHeld(await open(dir, { logger: again.logger }))).toEqual([2, 2, 1]);
    expect(again.lines.some((l) => String(l.msg).includes('torn'))).toBe(false);
  });

  it('drops a header cut short, and a last record whose bytes were damaged (it cannot be told from a torn one)', async () => {
    const cut = await threeFrames();
    await truncate(cut.segment, cut.frames[2] + 10);
    expect(await hoursHeld(await open(cut.dir))).toEqual([2, 2, 0]);

    const damaged = await threeFrames();
    await flipByte(damaged.segment, damaged.frames[2] + FRAME_HEADER_BYTES + 3);
    expect(await hoursHeld(await open(damaged.dir))).toEqual([2, 2, 0]);
  });
});

describe('DATA_DIR recovery: refuses to start rather than lose or miscount acknowledged batches', () => {
  it('on a damaged record in the middle of the log, naming the segment and the byte', async () => {
    const { dir, segment, frames } = await threeFrames();
    await flipByte(segment, frames[1] + FRAME_HEADER_BYTES + 5);
    await expect(open(dir)).rejects.toThrow(
      new RegExp(
        `log segment wal-\\d{16}\\.log is corrupt at byte ${frames[1]} \\(a damaged record with intact records after it\\)`,
      ),
    );
  });

  it('on a damaged record header in the middle of the log, whose length cannot be trusted', async () => {
    const { dir, segment, frames } = await threeFrames();
    await flipByte(segment, frames[0]);
    await expect(open(dir)).rejects.toThrow(/corrupt at byte 0 .*Restore DATA_DIR from a backup/);
  });

  it('on a corrupted snapshot, naming it, instead of starting without its totals', async () => {
    const dir = await freshDataDir();
    const first = await open(dir);
    await first.store.ingest([record(), record({ hour: 2 })]);
    await first.store.close();
    const [name] = await readdir(dir);
    const bytes = await readFile(join(dir, name));
    await flipByte(join(dir, name), Math.floor(bytes.length / 2));
    await expect(open(dir)).rejects.toThrow(
      new RegExp(`snapshot ${name} is corrupt \\(section \\d+ at byte \\d+: checksum mismatch\\)`),
    );
    await writeFile(join(dir, name), bytes.subarray(0, bytes.length - 30));
    await expect(open(dir)).rejects.toThrow(/is corrupt/);
  });

  it('when the snapshot is missing and the log does not start at the beginning', async () => {
    const dir = await freshDataDir();
    const first = await open(dir);
    await first.store.ingest([record()]);
    await first.store.ingest([record()]);
    await first.store.close();
    const second = await open(dir);
    await second.store.ingest([record({ hour: 2 })]);
    const [snapshot] = (await readdir(dir)).filter((f) => f.endsWith('.snap'));
    await unlink(join(dir, snapshot));
    await expect(open(dir)).rejects.toThrow(
      /wal-0000000000000003\.log is corrupt at byte 0 \(batches 1 to 2 are missing\)/,
    );
  });
});
