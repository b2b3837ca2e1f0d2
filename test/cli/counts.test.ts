import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCount } from '../../src/cli/format-count.js';
import { RepeatFilter } from '../../src/cli/repeat-filter.js';
import { kafkaSkipReason, startBroker, type TestBroker } from '../support/mock-broker.js';

function count(i: number, instance = 'node-a', scope?: 'cluster') {
  return {
    minute: new Date(Date.UTC(2026, 10, 21, 16, i)).toISOString(),
    unique_flows: i,
    records: 2 * i,
    bytes_tx: 100 * i,
    bytes_rx: 500 * i,
    instance,
    ...(scope && { scope }),
  };
}

describe('consumer command helpers', () => {
  it('drops a minute seen before from the same instance, not the same minute from another', () => {
    const filter = new RepeatFilter();
    expect(filter.isRepeat({ minute: 'm1', instance: 'a' })).toBe(false);
    expect(filter.isRepeat({ minute: 'm1', instance: 'b' })).toBe(false);
    expect(filter.isRepeat({ minute: 'm1', instance: 'a' })).toBe(true);
  });

  it('drops a cluster count seen before for the same minute, whichever instance published it', () => {
    const filter = new RepeatFilter();
    expect(filter.isRepeat({ minute: 'm1', instance: 'a', scope: 'cluster' })).toBe(false);
    // Published again after a crash, by another instance or by a restarted one (a new INSTANCE_ID).
    expect(filter.isRepeat({ minute: 'm1', instance: 'b', scope: 'cluster' })).toBe(true);
    expect(filter.isRepeat({ minute: 'm1', instance: 'a-restarted', scope: 'cluster' })).toBe(true);
    expect(filter.isRepeat({ minute: 'm2', instance: 'b', scope: 'cluster' })).toBe(false);
    // A process's own count of the same minute is another kind of count.
    expect(filter.isRepeat({ minute: 'm1', instance: 'a' })).toBe(false);
  });

  it('forgets the oldest entries past its capacity', () => {
    const filter = new RepeatFilter(2);
    filter.isRepeat({ minute: 'm1', instance: 'a' });
    filter.isRepeat({ minute: 'm2', instance: 'a' });
    filter.isRepeat({ minute: 'm3', instance: 'a' });
    expect(filter.isRepeat({ minute: 'm3', instance: 'a' })).toBe(true);
    expect(filter.isRepeat({ minute: 'm1', instance: 'a' })).toBe(false);
  });

  it('prints one readable line per minute', () => {
    expect(formatCount({ ...count(1), partial: true })).toBe(
      '2026-11-21T16:01:00.000Z unique_flows=1 records=2 bytes_tx=100 bytes_rx=500 instance=node-a (partial)',
    );
    expect(formatCount(count(2, 'node-b', 'cluster'))).toBe(
      '2026-11-21T16:02:00.000Z unique_flows=2 records=4 bytes_tx=200 bytes_rx=1000 instance=node-b scope=cluster',
    );
  });
});

/** Runs the built command and collects its stdout lines. */
function runCommand(args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['dist/cli/counts.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(20);
}

describe.skipIf(kafkaSkipReason)('consumer command against a real Kafka-protocol broker', () => {
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('prints each minute once, commits its offset, and resumes after a restart without reprinting', async () => {
    const topic = `cli-${process.pid}-${Date.now()}`;
    const kafka = new Kafka({ brokers: broker.brokers.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ maxInFlightRequests: 1 });
    await producer.connect();
    const send = (counts: ReturnType<typeof count>[]) =>
      producer.send({
        topic,
        acks: -1,
        messages: counts.map((c) => ({ key: c.minute, value: JSON.stringify(c), partition: 0 })),
      });
    try {
      // Minute 2 repeated (a retry), and minute 2 of another instance, which is not a repeat; the cluster's
      // minute 3 published again by another instance (after a crash), which is.
      await send([
        count(1),
        count(2),
        count(2),
        count(2, 'node-b'),
        count(3, 'node-a', 'cluster'),
        count(3, 'node-b', 'cluster'),
        count(4, 'node-a', 'cluster'),
      ]);
      const args = ['--from-beginning', '--brokers', broker.brokers, '--topic', topic, '--group', `g-${topic}`];

      const first = runCommand([...args, '--json']);
      await until(() => first.lines.length >= 5);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(first.lines.map((line) => JSON.parse(line))).toEqual([
        count(1),
        count(2),
        count(2, 'node-b'),
        count(3, 'node-a', 'cluster'),
        count(4, 'node-a', 'cluster'),
      ]);

      await send([count(5), count(6)]);
      const second = runCommand(args);
      await until(() => second.lines.length >= 2);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      // Resumed after minute 4: nothing already printed comes again.
      expect(second.lines).toEqual([formatCount(count(5)), formatCount(count(6))]);
    } finally {
      await producer.disconnect();
    }
  });
});
