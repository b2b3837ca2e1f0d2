import { describe, expect, it } from 'vitest';
import { FlowIds } from '../../../src/store/memory/flow-ids.js';

function takeN(ids: FlowIds, n: number): number[] {
  return Array.from({ length: n }, () => {
    const id = ids.peek();
    ids.take();
    return id;
  });
}

describe('FlowIds', () => {
  it('hands out 0, 1, 2, ... and takes back the ids of a refused batch at once', () => {
    const ids = new FlowIds();
    expect(takeN(ids, 3)).toEqual([0, 1, 2]);
    ids.giveBack(2);
    ids.giveBack(1);
    expect(takeN(ids, 3)).toEqual([1, 2, 3]);
    expect(ids.highest).toBe(4);
  });

  it('reuses the ids of dropped flows only once the window has rotated past the drop', () => {
    const ids = new FlowIds();
    takeN(ids, 100);
    ids.retire(
      Int32Array.from({ length: 50 }, (_, i) => i),
      7,
    );
    ids.release(7);
    expect(takeN(ids, 1)).toEqual([100]);
    ids.release(8);
    const reused = takeN(ids, 50);
    expect(new Set(reused)).toEqual(new Set(Array.from({ length: 50 }, (_, i) => i)));
    expect(takeN(ids, 1)).toEqual([101]);
    expect(ids.highest).toBe(102);
  });

  it('stays bounded by the flows held however many are created and dropped over time', () => {
    const ids = new FlowIds();
    let rotation = 0;
    for (let hour = 0; hour < 1000; hour++) {
      const taken = Int32Array.from(takeN(ids, 1000));
      ids.retire(taken, rotation);
      rotation++;
      ids.release(rotation);
    }
    expect(ids.highest).toBe(1000);
  });
});
