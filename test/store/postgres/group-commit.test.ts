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

  it('runs another group at once, on a lane of its own, when more work waits than one group takes', async () => {
    const { groups, flush } = gatedFlush();
    const committer = new GroupCommitter<string>(flush, { maxGroupSize: 1, lanes: 2, keysOf });
    const done = ['a', 'b', 'c', 'd'].map((value) => committer.submit(value, 1));
    await tick();
    expect(groups.map((g) => [g.values, g.lane])).toEqual([
      [['a'], 0],
      [['b'], 1],
    ]);
    groups[1].release();
    await tick();
    await tick();
    expect(groups.map((g) => [g.values, g.lane])).toEqual([
      [['a'], 0],
      [['b'], 1],
      [['c'], 1],
    ]);
    groups[0].release();
    groups[2].release();
    await tick();
    await tick();
    groups[3].release();
    await Promise.all(done);
    await committer.drained();
  });

  it('merges work that one group can take into the next group rather than open another lane', async () => {
    const { groups, flush } = gatedFlush();
    const committer = new GroupCommitter<string>(flush, { maxGroupSize: 10, lanes: 4, keysOf });
    const first = committer.submit('a', 4);
    await tick();
    const rest = [committer.submit('b', 4), committer.submit('c', 4)];
    await tick();
    expect(groups.map((g) => g.values)).toEqual([['a']]);
    groups[0].release();
    await first;
    await tick();
    await tick();
    expect(groups.map((g) => g.values)).toEqual([['a'], ['b', 'c']]);
    groups[1].release();
    await Promise.all(rest);
  });

  it('starts no group whose oldest work touches a running group’s keys, then takes it with what queued behind', async () => {
    const { groups, flush } = gatedFlush();
    const committer = new GroupCommitter<string>(flush, { maxGroupSize: 2, lanes: 3, keysOf });
    const running = committer.submit('a,b', 1);
    await tick();
    // More than a group waits, but 'b' touches the running group: nothing starts, and 'z' and 'y' behind
    // it wait with it (work is taken in the order it came).
    const waiting = [committer.submit('b', 1), committer.submit('z', 1), committer.submit('y', 1)];
    await tick();
    expect(groups.map((g) => g.values)).toEqual([['a,b']]);
    groups[0].release();
    await running;
    await tick();
    await tick();
    expect(groups.map((g) => g.values)).toEqual([['a,b'], ['b', 'z']]);
    groups[1].release();
    await tick();
    await tick();
    expect(groups.map((g) => g.values)).toEqual([['a,b'], ['b', 'z'], ['y']]);
    groups[2].release();
    await Promise.all(waiting);
    await committer.drained();
  });
});
