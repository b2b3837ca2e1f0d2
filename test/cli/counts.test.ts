import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCount } from '../../src/cli/format-count.js';
import { RepeatFilter } from '../../src/cli/repeat-filter.js';
import { countJson, type PublishedCount } from '../../src/counts/minute-count.js';
import { freePort } from '../../testkit/free-port.js';
import { kafkaSkipReason, startBroker, type TestBroker } from '../support/mock-broker.js';

function count(i: number, instance = 'node-a', scope?: 'cluster'): PublishedCount {
  return {
    minute: new Date(Date.UTC(2026, 10, 21, 16, i)).toISOString(),
    unique_flows: i,
    records: 2 * i,
    bytes_tx: 100 * i,
    bytes_rx: 500 * i,
    // Where the sink puts it: the count's own fields, then the instance that published it.
    ...(scope && { scope }),
    instance,
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

  it('prints bytes of any size exactly', () => {
    const big = { ...count(1), bytes_tx: 27021597764222973n, bytes_rx: 0n };
    expect(formatCount(big)).toBe(
      '2026-11-21T16:01:00.000Z unique_flows=1 records=2 bytes_tx=27021597764222973 bytes_rx=0 instance=node-a',
    );
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
function runCommand(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, ['dist/cli/counts.js', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited, stderr: () => stderr.join('') };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(20);
}

describe('consumer command without a broker', () => {
  it('says in one line that it cannot reach Kafka, and exits 1', async () => {
    const port = await freePort(); // nothing listens there
    const run = runCommand(['--brokers', `127.0.0.1:${port}`]);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe(
      `cannot read counts from Kafka at 127.0.0.1:${port}: Connection error: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
    expect(run.lines).toEqual([]);
  });
});

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
        messages: counts.map((c) => ({ key: c.minute, value: countJson(c), partition: 0 })),
      });
    try {
      // Minute 2 repeated (a retry), and minute 2 of another instance, which is not a repeat; minute 3's
      // bytes past 2^53-1 are printed with every digit; the cluster's minute 4 published again by another
      // instance (after a crash), which is a repeat.
      const big: PublishedCount = { ...count(3), bytes_tx: 27021597764222973n };
      await send([
        count(1),
        count(2),
        count(2),
        count(2, 'node-b'),
        big,
        count(4, 'node-a', 'cluster'),
        count(4, 'node-b', 'cluster'),
        count(5, 'node-a', 'cluster'),
      ]);
      const args = ['--from-beginning', '--brokers', broker.brokers, '--topic', topic, '--group', `g-${topic}`];

      const first = runCommand([...args, '--json']);
      await until(() => first.lines.length >= 6);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(first.lines).toEqual(
        [count(1), count(2), count(2, 'node-b'), big, count(4, 'node-a', 'cluster'), count(5, 'node-a', 'cluster')].map(
          (c) => countJson(c),
        ),
      );
      expect(first.lines[3]).toContain('"bytes_tx":27021597764222973,');

      await send([count(6), count(7)]);
      const second = runCommand(args);
      await until(() => second.lines.length >= 2);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      // Resumed after minute 5: nothing already printed comes again.
      expect(second.lines).toEqual([formatCount(count(6)), formatCount(count(7))]);
    } finally {
      await producer.disconnect();
    }
  });
});
