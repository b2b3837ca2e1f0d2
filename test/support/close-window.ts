import { expect } from 'vitest';
import type { MinuteCount } from '../../src/counts/minute-count.js';
import type { MinuteWindow } from '../../src/window/minute-window.js';

/** Closes the window that started at `start` and returns its count, as the scheduler would publish it. */
export async function closeWindow(window: MinuteWindow, start: number, partial = false): Promise<MinuteCount> {
  const counts: MinuteCount[] = [];
  await window.rotate({ start, end: start + 60_000, partial }, async (count) => {
    counts.push(count);
  });
  expect(counts).toHaveLength(1);
  return counts[0];
}
