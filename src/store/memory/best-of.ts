/**
 * The `limit` best of items 0..count-1, best first, where `compare(a, b) < 0` means a ranks before b
 * (a total order). A heap of `limit` items whose root is the worst kept: O(count log limit) time and
 * O(limit) memory, never a sort of every item.
 */
export function bestOf(count: number, limit: number, compare: (a: number, b: number) => number): number[] {
  const heap: number[] = [];
  for (let item = 0; item < count; item++) {
    if (heap.length < limit) {
      heap.push(item);
      siftUp(heap, heap.length - 1, compare);
    } else if (compare(item, heap[0]) < 0) {
      heap[0] = item;
      siftDown(heap, compare);
    }
  }
  return heap.sort(compare);
}

function siftUp(heap: number[], at: number, compare: (a: number, b: number) => number): void {
  let child = at;
  while (child > 0) {
    const parent = (child - 1) >> 1;
    if (compare(heap[child], heap[parent]) <= 0) return;
    [heap[child], heap[parent]] = [heap[parent], heap[child]];
    child = parent;
  }
}

function siftDown(heap: number[], compare: (a: number, b: number) => number): void {
  let parent = 0;
  for (;;) {
    let worst = parent;
    for (const child of [2 * parent + 1, 2 * parent + 2]) {
      if (child < heap.length && compare(heap[child], heap[worst]) > 0) worst = child;
    }
    if (worst === parent) return;
    [heap[worst], heap[parent]] = [heap[parent], heap[worst]];
    parent = worst;
  }
}
