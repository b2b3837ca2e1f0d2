import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCount } from '../../src/cli/format-count.js';
import { RepeatFilter } from '../../src/cli/repeat-filter.js';
import { countJson, type PublishedCount } from '../../src/counts/minute-count.js';
import { freePort } from '../../testkit/free-port.js';
import { kafkaSkipReason, startBroker, type TestBroker } from '../support/mock-broker.js';

function count(i: number, instance = 'node-a'): PublishedCount {
  return {
    minute: new Date(Date.UTC(2026, 10, 21, 16, i)).toISOString(),
    unique_flows: i,
    records: 2 * i,
    bytes_tx: 100 * i,
    bytes_rx: 500 * i,
    instance,
  };
}

describe('consumer command helpers', () => {
  it('drops a minute seen before from the same instance, not the same minute from another', () => {
    const filter = new RepeatFilter();
    expect(filter.isRepeat('m1', 'a')).toBe(false);
    expect(filter.isRepeat('m1', 'b')).toBe(false);
    expect(filter.isRepeat('m1', 'a')).toBe(true);
  });

  it('forgets the oldest entries past its capacity', () => {
    const filter = new RepeatFilter(2);
    filter.isRepeat('m1', 'a');
    filter.isRepeat('m2', 'a');
    filter.isRepeat('m3', 'a');
    expect(filter.isRepeat('m3', 'a')).toBe(true);
    expect(filter.isRepeat('m1', 'a')).toBe(false);
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
      // bytes past 2^53-1 are printed with every digit.
      const big: PublishedCount = { ...count(3), bytes_tx: 27021597764222973n };
      await send([count(1), count(2), count(2), count(2, 'node-b'), big]);
      const args = ['--from-beginning', '--brokers', broker.brokers, '--topic', topic, '--group', `g-${topic}`];

      const first = runCommand([...args, '--json']);
      await until(() => first.lines.length >= 4);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(first.lines).toEqual([count(1), count(2), count(2, 'node-b'), big].map((c) => countJson(c)));
      expect(first.lines[3]).toContain('"bytes_tx":27021597764222973,');

      await send([count(4), count(5)]);
      const second = runCommand(args);
      await until(() => second.lines.length >= 2);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      // Resumed after minute 3: nothing already printed comes again.
      expect(second.lines).toEqual([formatCount(count(4)), formatCount(count(5))]);
    } finally {
      await producer.disconnect();
    }
  });
});
