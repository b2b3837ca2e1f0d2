import { describe, expect, it } from 'vitest';
import type { MinuteCount } from '../../src/counts/minute-count.js';
import { MinuteWindow } from '../../src/window/minute-window.js';
import { closeWindow } from '../support/close-window.js';

const at = (iso: string) => new Date(iso).getTime();

describe('MinuteWindow', () => {
  it('counts distinct flow ids, records and bytes of the closed window, then starts empty', async () => {
    const window = new MinuteWindow();
    for (const id of [0, 31, 32, 100_000, 31, 0]) window.recordFlowId(id, 10, 20);
    expect(await closeWindow(window, at('2026-11-21T16:37:00Z'))).toEqual({
      minute: '2026-11-21T16:37:00.000Z',
      unique_flows: 4,
      records: 6,
      bytes_tx: 60,
      bytes_rx: 120,
    });
    window.recordFlowId(100_000, 1, 1);
    expect(await closeWindow(window, at('2026-11-21T16:38:00Z'))).toEqual({
      minute: '2026-11-21T16:38:00.000Z',
      unique_flows: 1,
      records: 1,
      bytes_tx: 1,
      bytes_rx: 1,
    });
    expect(await closeWindow(window, 0)).toMatchObject({ unique_flows: 0, records: 0 });
    // Both sets were used and cleared: an id seen two windows ago counts again.
    window.recordFlowId(0, 1, 1);
    window.recordFlowId(31, 1, 1);
    expect(await closeWindow(window, 0)).toMatchObject({ unique_flows: 2 });
    expect(await closeWindow(window, at('2026-11-21T16:40:00Z'), true)).toMatchObject({ records: 0, partial: true });
  });

  it('sums bytes exactly past 2^53-1 (a double would round them)', async () => {
    const window = new MinuteWindow();
    const max = Number.MAX_SAFE_INTEGER;
    window.recordFlowId(0, max, 1);
    window.recordFlowId(1, 4, max);
    for (let i = 0; i < 3; i++) window.recordFlowId(2, max, max);
    expect(await closeWindow(window, 0)).toMatchObject({
      bytes_tx: 4n * BigInt(max) + 4n,
      bytes_rx: 4n * BigInt(max) + 1n,
    });
    window.recordFlowId(0, 3, 5);
    expect(await closeWindow(window, 0)).toMatchObject({ bytes_tx: 3, bytes_rx: 5 });
  });

  it('swaps the sets when rotate is called, not when the count is published', async () => {
    const window = new MinuteWindow();
    window.recordFlowId(1, 1, 1);
    let release = () => {};
    const published: MinuteCount[] = [];
    const rotation = window.rotate({ start: 0, end: 60_000, partial: false }, async (count) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      published.push(count);
    });
    // Recorded while the closed window's count is still being published: it belongs to the next window.
    window.recordFlowId(2, 5, 5);
    release();
    await rotation;
    expect(published).toMatchObject([{ unique_flows: 1, records: 1 }]);
    expect(await closeWindow(window, 60_000)).toMatchObject({ unique_flows: 1, records: 1, bytes_tx: 5 });
  });
});
