import { describe, expect, it, vi } from 'vitest';
import { CountsRing } from '../../src/counts/counts-ring.js';
import type { MinuteCount } from '../../src/counts/minute-count.js';
import type { CountsSink } from '../../src/sinks/counts-sink.js';
import { recordingSink } from '../../src/sinks/recording-sink.js';
import { silentLogger } from '../support/helper.js';

const count: MinuteCount = {
  minute: '2026-11-21T16:37:00.000Z',
  unique_flows: 2,
  records: 3,
  bytes_tx: 400,
  bytes_rx: 2000,
};
const all = [Date.parse(count.minute), Date.parse(count.minute) + 60_000] as const;

function sinkInto(published: MinuteCount[], fail = false): CountsSink {
  return {
    publish: async (c) => {
      if (fail) throw new Error('disk full');
      published.push(c);
    },
    close: vi.fn(async () => {}),
  };
}

describe('recordingSink', () => {
  it('keeps each count in the history and publishes it to the sink unchanged', async () => {
    const published: MinuteCount[] = [];
    const history = new CountsRing(10, 24);
    const inner = sinkInto(published);
    const sink = recordingSink(inner, history, silentLogger);
    await sink.publish(count);
    expect(published).toEqual([count]);
    expect(await history.between(...all)).toEqual([count]);
    await sink.close();
    expect(inner.close).toHaveBeenCalledOnce();
  });

  it('still publishes when the history cannot keep the count, and logs it', async () => {
    const published: MinuteCount[] = [];
    const warn = vi.spyOn(silentLogger, 'warn');
    const broken = { record: async () => Promise.reject(new Error('database down')), between: async () => [] };
    await recordingSink(sinkInto(published), broken, silentLogger).publish(count);
    expect(published).toEqual([count]);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ minute: count.minute }), expect.any(String));
    warn.mockRestore();
  });

  it('keeps a count the sink refused, and passes the refusal on to the scheduler', async () => {
    const history = new CountsRing(10, 24);
    await expect(recordingSink(sinkInto([], true), history, silentLogger).publish(count)).rejects.toThrow('disk full');
    expect(await history.between(...all)).toEqual([count]);
  });
});
