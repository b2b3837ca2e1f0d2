import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCount } from '../../src/counts/minute-count.js';
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
    const first = await FileCountsSink.open(path, 'web-1', silentLogger);
    await first.publish(count('2026-11-21T16:37:00.000Z', 1));
    await first.publish(count('2026-11-21T16:38:00.000Z', 2));
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(3);
    await first.close();

    const second = await FileCountsSink.open(path, 'web-1', silentLogger);
    await second.publish({ ...count('2026-11-21T16:39:00.000Z', 3), partial: true });
    await second.close();

    const lines = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => parseCount(line, 'none'));
    expect(lines).toEqual([
      { ...count('2026-11-21T16:37:00.000Z', 1), instance: 'web-1' },
      { ...count('2026-11-21T16:38:00.000Z', 2), instance: 'web-1' },
      { ...count('2026-11-21T16:39:00.000Z', 3), partial: true, instance: 'web-1' },
    ]);
  });

  it('writes exact bytes of any size as plain JSON numbers, with the instance, like the Kafka messages', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'counts-')), 'counts.jsonl');
    const sink = await FileCountsSink.open(path, 'web-1', silentLogger);
    await sink.publish({ ...count('2026-11-21T16:37:00.000Z', 2), bytes_tx: 18014398509481982n, bytes_rx: 0 });
    await sink.close();
    expect(await readFile(path, 'utf8')).toBe(
      '{"minute":"2026-11-21T16:37:00.000Z","unique_flows":1,"records":2,"bytes_tx":18014398509481982,"bytes_rx":0,"instance":"web-1"}\n',
    );
  });

  it('fails to open where the directory cannot be created', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'counts-')), 'a-file');
    const blocker = await FileCountsSink.open(file, 'web-1', silentLogger);
    await blocker.close();
    await expect(FileCountsSink.open(join(file, 'counts.jsonl'), 'web-1', silentLogger)).rejects.toThrow(
      /EEXIST|ENOTDIR/,
    );
  });
});
