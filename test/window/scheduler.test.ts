import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MinuteCount } from '../../src/counts/minute-count.js';
import type { CountsSink } from '../../src/sinks/counts-sink.js';
import { MinuteWindow } from '../../src/window/minute-window.js';
import { RotationScheduler } from '../../src/window/scheduler.js';
import type { WindowCounter } from '../../src/window/window-counter.js';
import { silentLogger } from '../support/helper.js';

/** A real sink that keeps what it is given, so the test can read the published counts. */
class CollectingSink implements CountsSink {
  readonly counts: MinuteCount[] = [];
  async publish(count: MinuteCount) {
    this.counts.push(count);
  }
  async close() {}
}

const at = (iso: string) => new Date(iso).getTime();

describe('RotationScheduler', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('closes the window on UTC minute boundaries, counting each record in the minute it arrived', async () => {
    vi.setSystemTime(at('2026-11-21T16:36:42.500Z'));
    const sink = new CollectingSink();
    const window = new MinuteWindow();
    const scheduler = new RotationScheduler({ intervalMs: 60_000, sink, log: silentLogger, counter: window });
    scheduler.start();

    window.recordFlowId(1, 100, 500);
    await vi.advanceTimersByTimeAsync(17_499); // 16:36:59.999, one millisecond before the boundary
    window.recordFlowId(2, 1, 1);
    expect(sink.counts).toEqual([]);

    await vi.advanceTimersByTimeAsync(1); // 16:37:00.000
    window.recordFlowId(2, 7, 7);
    expect(sink.counts).toEqual([
      { minute: '2026-11-21T16:36:00.000Z', unique_flows: 2, records: 2, bytes_tx: 101, bytes_rx: 501 },
    ]);

    await vi.advanceTimersByTimeAsync(60_000); // 16:38:00
    await vi.advanceTimersByTimeAsync(60_000); // 16:39:00, an empty minute still gets a count
    expect(sink.counts.slice(1)).toEqual([
      { minute: '2026-11-21T16:37:00.000Z', unique_flows: 1, records: 1, bytes_tx: 7, bytes_rx: 7 },
      { minute: '2026-11-21T16:38:00.000Z', unique_flows: 0, records: 0, bytes_tx: 0, bytes_rx: 0 },
    ]);

    window.recordFlowId(3, 2, 3);
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

  it('publishes nothing when stopped without having started (a process that never served)', async () => {
    vi.setSystemTime(at('2026-11-21T16:00:00.250Z'));
    const sink = new CollectingSink();
    const window = new MinuteWindow();
    const scheduler = new RotationScheduler({ intervalMs: 60_000, sink, log: silentLogger, counter: window });
    await vi.advanceTimersByTimeAsync(120_000);
    await scheduler.stop();
    expect(sink.counts).toEqual([]);
  });

  it('aligns shorter intervals to wall-clock multiples', async () => {
    vi.setSystemTime(at('2026-11-21T16:00:00.250Z'));
    const sink = new CollectingSink();
    const scheduler = new RotationScheduler({
      intervalMs: 1_000,
      sink,
      log: silentLogger,
      counter: new MinuteWindow(),
    });
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
    const scheduler = new RotationScheduler({
      intervalMs: 1_000,
      sink,
      log: silentLogger,
      counter: new MinuteWindow(),
    });
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

  it('keeps publishing after the sink fails once, and logs the count it could not publish', async () => {
    vi.setSystemTime(at('2026-11-21T16:00:00Z'));
    const lines: string[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
    let failures = 1;
    const sink = new CollectingSink();
    const flaky: CountsSink = {
      publish: async (count) => {
        if (failures-- > 0) throw new Error('disk full');
        await sink.publish(count);
      },
      close: async () => {},
    };
    const scheduler = new RotationScheduler({ intervalMs: 1_000, sink: flaky, log, counter: new MinuteWindow() });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(2_000);
    await scheduler.stop();
    expect(sink.counts.map((c) => c.minute)).toEqual(['2026-11-21T16:00:01.000Z', '2026-11-21T16:00:02.000Z']);
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      {
        msg: 'could not count or publish a window',
        err: { message: 'disk full' },
        counts: { minute: '2026-11-21T16:00:00.000Z' },
      },
    ]);
  });

  it('hands each boundary to the counter, in order, and publishes what it passes on', async () => {
    vi.setSystemTime(at('2026-11-21T16:37:01Z'));
    const T0 = at('2026-11-21T16:37:00Z');
    const sink = new CollectingSink();
    const calls: [number, number, boolean][] = [];
    const counter: WindowCounter = {
      async rotate({ start, end, partial }, publish) {
        calls.push([start, end, partial]);
        if (!partial) {
          await publish({
            minute: new Date(start).toISOString(),
            unique_flows: 7,
            records: 9,
            bytes_tx: 1,
            bytes_rx: 2,
          });
        }
      },
    };
    const scheduler = new RotationScheduler({ intervalMs: 60_000, sink, log: silentLogger, counter });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(120_000);
    await scheduler.stop();
    expect(calls).toEqual([
      [T0, T0 + 60_000, false],
      [T0 + 60_000, T0 + 120_000, false],
      [T0 + 120_000, T0 + 121_000, true],
    ]);
    expect(sink.counts.map((c) => c.minute)).toEqual([new Date(T0).toISOString(), new Date(T0 + 60_000).toISOString()]);
  });

  it('waits on stop for a counter still counting', async () => {
    vi.setSystemTime(at('2026-11-21T16:00:00.500Z'));
    const sink = new CollectingSink();
    let release = () => {};
    const counter: WindowCounter = {
      async rotate({ start }, publish) {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        await publish({ minute: new Date(start).toISOString(), unique_flows: 0, records: 0, bytes_tx: 0, bytes_rx: 0 });
      },
    };
    const scheduler = new RotationScheduler({ intervalMs: 1_000, sink, log: silentLogger, counter });
    scheduler.start();
    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(sink.counts).toHaveLength(1);
  });
});
