import { describe, expect, it } from 'vitest';
import { GroupCommitter, type GroupItem } from '../../../src/store/postgres/group-commit.js';

describe('GroupCommitter', () => {
  it('merges what is submitted while a flush runs into the next flush, and settles each item its own way', async () => {
    const groups: number[][] = [];
    let release: () => void = () => {};
    const committer = new GroupCommitter<number>(async (items: GroupItem<number>[]) => {
      groups.push(items.map((i) => i.value));
      if (groups.length === 1) await new Promise<void>((resolve) => (release = resolve));
      for (const item of items) item.value === 13 ? item.reject(new Error('bad')) : item.resolve();
    }, 100);

    const first = [committer.submit(1, 1), committer.submit(2, 1)];
    // Let the first flush start, then submit while it is running.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const second = [committer.submit(3, 1), committer.submit(13, 1), committer.submit(4, 1)];
    release();
    await Promise.all(first);
    expect(await Promise.allSettled(second)).toMatchObject([
      { status: 'fulfilled' },
      { status: 'rejected', reason: { message: 'bad' } },
      { status: 'fulfilled' },
    ]);
    expect(groups).toEqual([
      [1, 2],
      [3, 13, 4],
    ]);
    await committer.drained();
  });

  it('bounds a group by size, but always takes at least one item', async () => {
    const groups: number[][] = [];
    const committer = new GroupCommitter<number>(async (items) => {
      groups.push(items.map((i) => i.value));
      for (const item of items) item.resolve();
    }, 10);
    await Promise.all([
      committer.submit(1, 6),
      committer.submit(2, 4),
      committer.submit(3, 25),
      committer.submit(4, 1),
    ]);
    expect(groups).toEqual([[1, 2], [3], [4]]);
  });
});
