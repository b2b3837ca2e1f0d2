import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MinuteCount } from '../../src/counts/minute-count.js';
import type { CountsSink } from '../../src/sinks/counts-sink.js';
import { MinuteWindow } from '../../src/window/minute-window.js';
import { RotationScheduler } from '../../src/window/scheduler.js';
import { silentLogger } from '../helpers.js';

/** A real sink that keeps what it is given, so the test can read the published counts. */
class CollectingSink implements CountsSink {
  readonly counts: MinuteCount[] = [];
  async publish(count: MinuteCount) {
    this.counts.push(count);
  }
  async close() {}
}

const at = (iso: string) => new Date(iso).getTime();

describe('MinuteWindow', () => {
  it('counts distinct keys, records and bytes of the closed window, then starts empty', () => {
    const window = new MinuteWindow(at('2026-11-21T16:37:00Z'));
    window.record(1, 10, 20);
    window.record(1, 1, 2);
    window.record('other', 5, 5);
    expect(window.rotate(at('2026-11-21T16:38:00Z'))).toEqual({
      minute: '2026-11-21T16:37:00.000Z',
      unique_flows: 2,
      records: 3,
      bytes_tx: 16,
      bytes_rx: 27,
    });
    window.record(1, 1, 1);
    expect(window.rotate(at('2026-11-21T16:39:00Z'))).toEqual({
      minute: '2026-11-21T16:38:00.000Z',
      unique_flows: 1,
      records: 1,
      bytes_tx: 1,
      bytes_rx: 1,
    });
    expect(window.rotate(at('2026-11-21T16:40:00Z'), true)).toMatchObject({ records: 0, partial: true });
  });
});

describe('RotationScheduler', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('rotates on UTC minute boundaries, counting each record in the minute it arrived', async () => {
    vi.setSystemTime(at('2026-11-21T16:36:42.500Z'));
    const sink = new CollectingSink();
    const scheduler = new RotationScheduler({ intervalMs: 60_000, sink, log: silentLogger });
    scheduler.start();

    scheduler.window.record(1, 100, 500);
    await vi.advanceTimersByTimeAsync(17_499); // 16:36:59.999, one millisecond before the boundary
    scheduler.window.record(2, 1, 1);
    expect(sink.counts).toEqual([]);

    await vi.advanceTimersByTimeAsync(1); // 16:37:00.000
    scheduler.window.record(2, 7, 7);
    expect(sink.counts).toEqual([
      { minute: '2026-11-21T16:36:00.000Z', unique_flows: 2, records: 2, bytes_tx: 101, bytes_rx: 501 },
    ]);

    await vi.advanceTimersByTimeAsync(60_000); // 16:38:00
    await vi.advanceTimersByTimeAsync(60_000); // 16:39:00, an empty minute still gets a count
    expect(sink.counts.slice(1)).toEqual([
      { minute: '2026-11-21T16:37:00.000Z', unique_flows: 1, records: 1, bytes_tx: 7, bytes_rx: 7 },
      { minute: '2026-11-21T16:38:00.000Z', unique_flows: 0, records: 0, bytes_tx: 0, bytes_rx: 0 },
    ]);

    scheduler.window.record(3, 2, 3);
    await vi.advanceTimersByTimeAsync(30_000);
    await scheduler.stop();
    expect(sink.counts.at(-1)).toEqual({
      minute: '2026-11-21T16:39:00.000Z',
      unique_flows: 1,
      records: 1,
      bytes_tx: 2,
      bytes_rx: 3,
      partial: true,
    });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(sink.counts).toHaveLength(4);
  });

  it('aligns shorter intervals to wall-clock multiples', async () => {
    vi.setSystemTime(at('2026-11-21T16:00:00.250Z'));
    const sink = new CollectingSink();
    const scheduler = new RotationScheduler({ intervalMs: 1_000, sink, log: silentLogger });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(2_750);
    expect(sink.counts.map((c) => c.minute)).toEqual([
      '2026-11-21T16:00:00.000Z',
      '2026-11-21T16:00:01.000Z',
      '2026-11-21T16:00:02.000Z',
    ]);
    await scheduler.stop();
  });

  it('closes a window that start-up overran before it starts the timer', async () => {
    vi.setSystemTime(at('2026-11-21T16:00:00.900Z'));
    const sink = new CollectingSink();
    const scheduler = new RotationScheduler({ intervalMs: 1_000, sink, log: silentLogger });
    vi.setSystemTime(at('2026-11-21T16:00:01.300Z')); // a slow start-up, no timer running yet
    scheduler.start();
    await vi.advanceTimersByTimeAsync(700);
    await scheduler.stop();
    expect(sink.counts.map((c) => c.minute)).toEqual([
      '2026-11-21T16:00:00.000Z',
      '2026-11-21T16:00:01.000Z',
      '2026-11-21T16:00:02.000Z',
    ]);
  });

  it('keeps publishing after the sink fails once', async () => {
    vi.setSystemTime(at('2026-11-21T16:00:00Z'));
    let failures = 1;
    const sink = new CollectingSink();
    const flaky: CountsSink = {
      publish: async (count) => {
        if (failures-- > 0) throw new Error('disk full');
        await sink.publish(count);
      },
      close: async () => {},
    };
    const scheduler = new RotationScheduler({ intervalMs: 1_000, sink: flaky, log: silentLogger });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(2_000);
    await scheduler.stop();
    expect(sink.counts.map((c) => c.minute)).toEqual(['2026-11-21T16:00:01.000Z', '2026-11-21T16:00:02.000Z']);
  });
});
