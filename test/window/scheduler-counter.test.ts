import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MinuteCount } from '../../src/counts/minute-count.js';
import type { CountsSink } from '../../src/sinks/counts-sink.js';
import { RotationScheduler } from '../../src/window/scheduler.js';
import type { WindowCounter } from '../../src/window/window-counter.js';
import { silentLogger } from '../helpers.js';

class ArraySink implements CountsSink {
  readonly counts: MinuteCount[] = [];
  async publish(count: MinuteCount): Promise<void> {
    this.counts.push(count);
  }
  async close(): Promise<void> {}
}

const T0 = Date.UTC(2026, 10, 21, 16, 37);

describe('RotationScheduler with and without a shared counter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('rotates its own window when no counter is given (the in-memory mode)', async () => {
    vi.useFakeTimers({ now: T0 + 1000 });
    const sink = new ArraySink();
    const scheduler = new RotationScheduler({ intervalMs: 60_000, sink, log: silentLogger, now: Date.now });
    scheduler.start();
    scheduler.window.record(1, 10, 20);
    await vi.advanceTimersByTimeAsync(60_000);
    await scheduler.stop();
    expect(sink.counts.map((c) => [c.minute, c.unique_flows, c.partial])).toEqual([
      [new Date(T0).toISOString(), 1, undefined],
      [new Date(T0 + 60_000).toISOString(), 0, true],
    ]);
  });

  it('hands each boundary to the counter, in order, and publishes what it passes on', async () => {
    vi.useFakeTimers({ now: T0 + 1000 });
    const sink = new ArraySink();
    const calls: [number, boolean][] = [];
    const counter: WindowCounter = {
      async rotate(at, partial, publish) {
        calls.push([at, partial]);
        if (!partial)
          await publish({
            minute: new Date(at - 60_000).toISOString(),
            unique_flows: 7,
            records: 9,
            bytes_tx: 1,
            bytes_rx: 2,
          });
      },
    };
    const scheduler = new RotationScheduler({ intervalMs: 60_000, sink, log: silentLogger, now: Date.now, counter });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(120_000);
    await scheduler.stop();
    expect(calls).toEqual([
      [T0 + 60_000, false],
      [T0 + 120_000, false],
      [T0 + 121_000, true],
    ]);
    expect(sink.counts.map((c) => c.minute)).toEqual([new Date(T0).toISOString(), new Date(T0 + 60_000).toISOString()]);
  });
});
