import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';

/**
 * A real Kafka-protocol broker for tests: librdkafka's mock cluster, run by Debian's kcat (see
 * DESIGN.md). `KAFKA_BROKERS`, when set, names a real broker to use instead; it cannot be frozen.
 */
export interface TestBroker {
  brokers: string;
  /** Present only for the kcat broker: makes it unreachable (frozen) and back. */
  freeze?: () => Promise<void>;
  thaw?: () => void;
  stop: () => Promise<void>;
}

const HOW_TO_RUN = 'install kcat (apt-get install -y kcat) or set KAFKA_BROKERS to a broker, then run npm test';

export const kcatAvailable = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
export const externalBrokers = process.env.KAFKA_BROKERS;
const inCi = process.env.CI === 'true';

/**
 * Why the Kafka tests cannot run here, or undefined when they can. In CI they must run, so a missing
 * broker fails them there instead of skipping.
 */
export const kafkaSkipReason =
  kcatAvailable || externalBrokers || inCi ? undefined : `no Kafka broker for the tests: ${HOW_TO_RUN}`;
if (kafkaSkipReason) process.stderr.write(`skipping Kafka tests: ${kafkaSkipReason}\n`);

export async function startBroker(): Promise<TestBroker> {
  if (externalBrokers) return { brokers: externalBrokers, stop: async () => {} };
  if (!kcatAvailable) throw new Error(`kcat is missing: ${HOW_TO_RUN}`);
  const child = spawn(
    'kcat',
    ['-b', 'localhost:1', '-C', '-X', 'test.mock.num.brokers=1', '-t', 'boot', '-d', 'mock'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const brokers = await new Promise<string>((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer) => {
      // The debug log holds binary bytes; latin1 keeps every byte as one character.
      log += chunk.toString('latin1');
      const found = /bootstrap\.servers=([0-9.]+:\d+)/.exec(log);
      if (found) {
        child.stderr?.off('data', onData);
        child.stderr?.resume();
        resolve(found[1]);
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`kcat exited (${code}) before its mock cluster was up`)));
  });
  const pid = child.pid as number;
  return {
    brokers,
    freeze: async () => {
      process.kill(pid, 'SIGSTOP');
      // The signal is asynchronous: wait until the kernel reports the process stopped.
      while (!/^\d+ \(.*\) T/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) await sleep(5);
    },
    thaw: () => process.kill(pid, 'SIGCONT'),
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}

export interface TopicMessage {
  offset: number;
  key: string;
  value: Record<string, unknown>;
  /** The value as sent, for a lossless parse (parseCount). */
  text: string;
}

/**
 * Every message on `topic` up to its current end, read without a consumer group. Counts must all
 * be on partition 0 (that is what keeps them in order), so any other partition holding one fails.
 */
export async function readTopic(brokers: string, topic: string): Promise<TopicMessage[]> {
  const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const elsewhere = offsets.filter((p) => p.partition !== 0 && Number(p.high) > 0);
  if (elsewhere.length > 0) throw new Error(`counts on partitions other than 0: ${JSON.stringify(elsewhere)}`);
  const end = Number(offsets.find((p) => p.partition === 0)?.high ?? 0);
  const messages: TopicMessage[] = [];
  if (end === 0) return messages;
  const consumer = kafka.consumer({ groupId: `test-reader-${process.pid}-${Date.now()}-${Math.random()}` });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          const offset = Number(message.offset);
          if (offset < end) {
            const text = message.value?.toString() ?? 'null';
            messages.push({ offset, key: message.key?.toString() ?? '', value: JSON.parse(text), text });
          }
          if (offset >= end - 1) resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
