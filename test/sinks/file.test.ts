import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileCountsSink } from '../../src/sinks/file.js';
import { silentLogger } from '../support/helper.js';

const count = (minute: string, records: number) => ({
  minute,
  unique_flows: 1,
  records,
  bytes_tx: 10,
  bytes_rx: 20,
});

describe('FileCountsSink', () => {
  it('creates the directory and appends one JSON line per count, across reopenings', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'counts-')), 'nested', 'dir', 'counts.jsonl');
    const first = await FileCountsSink.open(path, silentLogger);
    await first.publish(count('2026-11-21T16:37:00.000Z', 1));
    await first.publish(count('2026-11-21T16:38:00.000Z', 2));
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(3);
    await first.close();

    const second = await FileCountsSink.open(path, silentLogger);
    await second.publish({ ...count('2026-11-21T16:39:00.000Z', 3), partial: true });
    await second.close();

    const lines = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      count('2026-11-21T16:37:00.000Z', 1),
      count('2026-11-21T16:38:00.000Z', 2),
      { ...count('2026-11-21T16:39:00.000Z', 3), partial: true },
    ]);
  });

  it('fails to open where the directory cannot be created', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'counts-')), 'a-file');
    const blocker = await FileCountsSink.open(file, silentLogger);
    await blocker.close();
    await expect(FileCountsSink.open(join(file, 'counts.jsonl'), silentLogger)).rejects.toThrow(/EEXIST|ENOTDIR/);
  });
});
