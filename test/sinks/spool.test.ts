import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countJson, type PublishedCount, parseCount } from '../../src/counts/minute-count.js';
import { Spool } from '../../src/sinks/spool.js';
import { silentLogger } from '../support/helper.js';

function entry(i: number): PublishedCount {
  return { minute: `m${i}`, unique_flows: i, records: i, bytes_tx: i, bytes_rx: i, instance: 'a' };
}

describe('Spool (the Kafka write-ahead log)', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spool-'));
    path = join(dir, 'nested', 'spool.jsonl');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const lines = async () =>
    (await readFile(path, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => parseCount(l, 'none'));

  it('keeps appended counts on disk, in order, until they are dropped', async () => {
    const spool = await Spool.open(path, 'a', silentLogger);
    await Promise.all([1, 2, 3, 4].map((i) => spool.append(entry(i))));
    expect(await lines()).toEqual([1, 2, 3, 4].map(entry));
    expect(spool.peek(2)).toEqual([entry(1), entry(2)]);

    await spool.dropFirst(2);
    expect(await lines()).toEqual([entry(3), entry(4)]);
    const reopened = await Spool.open(path, 'a', silentLogger);
    expect(reopened.peek(10)).toEqual([entry(3), entry(4)]);

    await reopened.dropFirst(2);
    expect(await readFile(path, 'utf8')).toBe('');
    expect(reopened.size).toBe(0);
  });

  it('reloads counts whose bytes pass 2^53-1 exactly (none is dropped)', async () => {
    const big = { ...entry(1), bytes_tx: 2n ** 60n + 1n, bytes_rx: 18014398509481982n };
    const spool = await Spool.open(path, 'a', silentLogger);
    await spool.append(big);
    await spool.append(entry(2));
    expect(await readFile(path, 'utf8')).toContain('"bytes_tx":1152921504606846977,"bytes_rx":18014398509481982,');
    const reopened = await Spool.open(path, 'a', silentLogger);
    expect(reopened.peek(10)).toEqual([big, entry(2)]);
  });

  it('lets appends and drops interleave without losing an append', async () => {
    const spool = await Spool.open(path, 'a', silentLogger);
    await spool.append(entry(1));
    await Promise.all([spool.dropFirst(1), spool.append(entry(2)), spool.append(entry(3))]);
    expect(await lines()).toEqual([entry(2), entry(3)]);
  });

  it('repairs a torn last line so the next append starts on a line of its own', async () => {
    await Spool.open(path, 'a', silentLogger);
    await writeFile(path, `${countJson(entry(1))}\n{"minute":"m2","uniq`);
    const spool = await Spool.open(path, 'a', silentLogger);
    await spool.append(entry(3));
    expect(await lines()).toEqual([entry(1), entry(3)]);
  });
});
