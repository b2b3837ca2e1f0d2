import { describe, expect, it } from 'vitest';
import { GroupCommitter, type GroupItem } from '../../../src/store/postgres/group-commit.js';

/** Work touching the keys in its name: 'a,b' touches a and b. */
const keysOf = (value: string) => value.split(',');
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A flush that records each group and waits until the test releases it. */
function gatedFlush() {
  const groups: { values: string[]; lane: number; release: () => void }[] = [];
  const flush = async (items: GroupItem<string>[], lane: number) => {
    await new Promise<void>((release) => groups.push({ values: items.map((i) => i.value), lane, release }));
    for (const item of items) item.value === 'bad' ? item.reject(new Error('bad')) : item.resolve();
  };
  return { groups, flush };
}

describe('GroupCommitter', () => {
  it('merges what is submitted while a flush runs into the next flush, and settles each item its own way', async () => {
    const { groups, flush } = gatedFlush();
    const committer = new GroupCommitter<string>(flush, { maxGroupSize: 100, keysOf });
    const first = [committer.submit('x', 1), committer.submit('x', 1)];
    await tick();
    const second = [committer.submit('x', 1), committer.submit('bad', 1), committer.submit('y', 1)];
    await tick();
    expect(groups.map((g) => g.values)).toEqual([['x', 'x']]);
    groups[0].release();
    await Promise.all(first);
    await tick();
    groups[1].release();
    expect(await Promise.allSettled(second)).toMatchObject([
      { status: 'fulfilled' },
      { status: 'rejected', reason: { message: 'bad' } },
      { status: 'fulfilled' },
    ]);
    expect(groups.map((g) => g.values)).toEqual([
      ['x', 'x'],
      ['x', 'bad', 'y'],
    ]);
    await committer.drained();
  });

  it('bounds a group by size, but always takes at least one item', async () => {
    const groups: string[][] = [];
    const committer = new GroupCommitter<string>(
      async (items) => {
        groups.push(items.map((i) => i.value));
        for (const item of items) item.resolve();
      },
      { maxGroupSize: 10, keysOf },
    );
    await Promise.all([
      committer.submit('1', 6),
      committer.submit('2', 4),
      committer.submit('3', 25),
      committer.submit('4', 1),
    ]);
    expect(groups).toEqual([['1', '2'], ['3'], ['4']]);
  });

  it('runs up to `lanes` groups at once, each on a lane of its own, never two with a key in common', async () => {
    const { groups, flush } = gatedFlush();
    const committer = new GroupCommitter<string>(flush, { maxGroupSize: 2, lanes: 3, keysOf });
    const done = ['a', 'b,c', 'c', 'd', 'e'].map((value) => committer.submit(value, 1));
    await tick();
    await tick();
    // 'c' touches the second group's keys: it waits, and the third lane takes 'd' and 'e' instead.
    expect(groups.map((g) => [g.values, g.lane])).toEqual([
      [['a', 'b,c'], 0],
      [['d', 'e'], 1],
    ]);
    groups[1].release();
    await tick();
    await tick();
    expect(groups).toHaveLength(2);
    groups[0].release();
    await tick();
    await tick();
    expect(groups.map((g) => g.values)).toEqual([['a', 'b,c'], ['d', 'e'], ['c']]);
    groups[2].release();
    await Promise.all(done);
    await committer.drained();
  });

  it('does not let later work overtake waiting work on the same key', async () => {
    const { groups, flush } = gatedFlush();
    const committer = new GroupCommitter<string>(flush, { maxGroupSize: 10, lanes: 2, keysOf });
    const running = committer.submit('a', 1);
    await tick();
    // 'a,b' waits for the running 'a'; 'b' alone touches nothing running, but must not pass 'a,b'.
    const waiting = [committer.submit('a,b', 1), committer.submit('b', 1), committer.submit('z', 1)];
    await tick();
    expect(groups.map((g) => g.values)).toEqual([['a'], ['z']]);
    groups[0].release();
    groups[1].release();
    await running;
    await tick();
    await tick();
    expect(groups[2].values).toEqual(['a,b', 'b']);
    groups[2].release();
    await Promise.all(waiting);
  });
});
