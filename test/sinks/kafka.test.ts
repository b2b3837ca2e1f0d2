import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countJson, type MinuteCount, parseCount } from '../../src/counts/minute-count.js';
import { KafkaCountsSink, type KafkaSinkOptions } from '../../src/sinks/kafka.js';
import { silentLogger } from '../support/helper.js';
import { externalBrokers, kafkaSkipReason, readTopic, startBroker, type TestBroker } from '../support/mock-broker.js';

function count(i: number): MinuteCount {
  return {
    minute: new Date(Date.UTC(2026, 10, 21, 16, i)).toISOString(),
    unique_flows: i,
    records: 2 * i,
    bytes_tx: 100 * i,
    bytes_rx: 500 * i,
  };
}

/** Polls until `check` holds; the test's own timeout bounds the wait. */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await sleep(20);
}

/** The first occurrence of each key, in topic order: what a consumer that drops repeats sees. */
function firstByKey<T extends { key: string }>(messages: T[]): T[] {
  const seen = new Set<string>();
  return messages.filter(({ key }) => !seen.has(key) && seen.add(key));
}

describe.skipIf(kafkaSkipReason)('Kafka counts sink against a real Kafka-protocol broker', () => {
  let broker: TestBroker;
  let dir: string;
  let topicNo = 0;

  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });
  afterEach(async () => {
    broker?.thaw?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function options(overrides: Partial<KafkaSinkOptions> = {}): Promise<KafkaSinkOptions> {
    dir = await mkdtemp(join(tmpdir(), 'kafka-sink-'));
    return {
      brokers: broker.brokers,
      topic: `counts-${process.pid}-${Date.now()}-${topicNo++}`,
      instance: 'test-instance',
      spoolPath: join(dir, 'spool.jsonl'),
      requestTimeoutMs: 1_000,
      retryMaxMs: 200,
      log: silentLogger,
      ...overrides,
    };
  }

  it('publishes each count once, in order, keyed by its minute, with the instance id', async () => {
    const opts = await options();
    const sink = await KafkaCountsSink.open(opts);
    const counts = [1, 2, 3, 4, 5].map(count);
    for (const c of counts) await sink.publish(c);
    await until(() => sink.spooled === 0);
    await sink.close();

    const messages = await readTopic(opts.brokers, opts.topic);
    expect(messages.map((m) => m.key)).toEqual(counts.map((c) => c.minute));
    expect(messages.map((m) => parseCount(m.text, 'none'))).toEqual(
      counts.map((c) => ({ ...c, instance: 'test-instance' })),
    );
    expect(await readFile(opts.spoolPath, 'utf8')).toBe('');
  });

  it('publishes a cluster’s count with its scope, stamped with the instance that published it', async () => {
    const opts = await options({ instance: 'web-2' });
    const sink = await KafkaCountsSink.open(opts);
    await sink.publish({ ...count(1), scope: 'cluster' });
    await until(() => sink.spooled === 0);
    await sink.close();
    const messages = await readTopic(opts.brokers, opts.topic);
    expect(messages.map((m) => m.value)).toEqual([{ ...count(1), scope: 'cluster', instance: 'web-2' }]);
  });

  it.skipIf(externalBrokers)(
    'keeps counts in the spool while the broker is unreachable, then sends them all in order, none twice',
    async () => {
      const opts = await options();
      const sink = await KafkaCountsSink.open(opts);
      await sink.publish(count(1));
      await until(() => sink.spooled === 0);

      await broker.freeze?.();
      // publish resolves with the broker frozen: the window rotation never waits for Kafka.
      for (const i of [2, 3, 4, 5]) await sink.publish(count(i));
      const spooled = (await readFile(opts.spoolPath, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(spooled.map((c) => c.minute)).toEqual([2, 3, 4, 5].map((i) => count(i).minute));

      await until(() => sink.status().breaker === 'open');
      expect(sink.status()).toMatchObject({ kind: 'kafka', kafkaConnected: false, spoolSize: 4 });

      broker.thaw?.();
      await sink.publish(count(6));
      await until(() => sink.spooled === 0);
      expect(sink.status()).toEqual({ kind: 'kafka', kafkaConnected: true, breaker: 'closed', spoolSize: 0 });
      await sink.close();

      const messages = await readTopic(opts.brokers, opts.topic);
      const minutes = [1, 2, 3, 4, 5, 6].map((i) => count(i).minute);
      expect(messages.map((m) => m.key)).toEqual(minutes);
      expect(firstByKey(messages).map((m) => parseCount(m.text, 'none'))).toEqual(
        [1, 2, 3, 4, 5, 6].map((i) => ({ ...count(i), instance: 'test-instance' })),
      );
      expect(await readFile(opts.spoolPath, 'utf8')).toBe('');
    },
  );

  it('starts and closes without hanging while Kafka is down, keeping the counts for the next start', async () => {
    // A port nobody listens on: connections are refused.
    const opts = await options({ brokers: '127.0.0.1:1' });
    const down = await KafkaCountsSink.open({ ...opts, flushTimeoutMs: 300 });
    await down.publish(count(1));
    await down.publish(count(2));
    await down.close();
    const left = (await readFile(opts.spoolPath, 'utf8')).trim().split('\n');
    expect(left.map((line) => JSON.parse(line).minute)).toEqual([count(1).minute, count(2).minute]);

    // The next start (another instance id) sends them under the id that counted them, then its own.
    const next = await KafkaCountsSink.open({ ...opts, brokers: broker.brokers, instance: 'next-instance' });
    await next.publish(count(3));
    await until(() => next.spooled === 0);
    await next.close();
    const messages = await readTopic(broker.brokers, opts.topic);
    expect(messages.map((m) => [m.key, m.value.instance])).toEqual([
      [count(1).minute, 'test-instance'],
      [count(2).minute, 'test-instance'],
      [count(3).minute, 'next-instance'],
    ]);
  });

  it('replays a spool left by a crash, dropping a torn last line, and attributes file-sink lines to itself', async () => {
    const opts = await options();
    const fromFileSink = countJson(count(1));
    const fromCrashedRun = countJson({ ...count(2), instance: 'crashed' });
    await writeFile(opts.spoolPath, `${fromFileSink}\n${fromCrashedRun}\n{"minute":"2026-11-21T16:0`);
    const sink = await KafkaCountsSink.open(opts);
    await sink.publish(count(3));
    await until(() => sink.spooled === 0);
    await sink.close();
    const messages = await readTopic(opts.brokers, opts.topic);
    expect(messages.map((m) => [m.key, m.value.instance])).toEqual([
      [count(1).minute, 'test-instance'],
      [count(2).minute, 'crashed'],
      [count(3).minute, 'test-instance'],
    ]);
  });
});
