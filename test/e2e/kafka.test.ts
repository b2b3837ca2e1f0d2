import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record } from '../support/helper.js';
import { externalBrokers, kafkaSkipReason, readTopic, startBroker, type TestBroker } from '../support/mock-broker.js';
import { ServerProcess } from '../support/server-process.js';

const INTERVAL = 300;

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await sleep(20);
}

/** The server's pino lines with message `msg`. */
function logLines(server: ServerProcess, msg: string): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(`"msg":"${msg}"`))
    .map((line) => JSON.parse(line));
}

function countsLogged(server: ServerProcess): { minute: string; records: number }[] {
  return logLines(server, 'minute counts').map((line) => line.counts as { minute: string; records: number });
}

async function post(server: ServerProcess, records: unknown[]): Promise<number> {
  const res = await fetch(`${server.base}/flows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(records),
  });
  return res.status;
}

/**
 * Every window the server published is on the topic, once, in order, on the interval's boundaries. A
 * window may cover several intervals: when a loaded machine stalls the event loop past a boundary, the
 * scheduler closes the window at the latest boundary (src/window/scheduler.ts) rather than invent empty ones.
 */
function expectPublishedWindows(keys: string[], published: string[]): void {
  expect(keys.length).toBeGreaterThan(1);
  expect(keys).toEqual(published);
  const times = keys.map((key) => Date.parse(key));
  for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]);
  for (const time of times) expect(time % INTERVAL).toBe(0);
}

describe.skipIf(kafkaSkipReason)('the built server publishing counts to Kafka', () => {
  let broker: TestBroker;
  let dir: string;

  beforeAll(async () => {
    broker = await startBroker();
    dir = await mkdtemp(join(tmpdir(), 'kafka-e2e-'));
  });
  afterAll(async () => {
    broker?.thaw?.();
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function serverEnv(name: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      KAFKA_BROKERS: broker.brokers,
      KAFKA_TOPIC: `${name}-${process.pid}-${Date.now()}`,
      COUNTS_FILE: join(dir, `${name}.jsonl`),
      ROTATION_INTERVAL_MS: String(INTERVAL),
      INSTANCE_ID: `e2e-${name}`,
      KAFKA_REQUEST_TIMEOUT_MS: '1000',
      KAFKA_RETRY_MAX_MS: '200',
      ...extra,
    };
  }

  it('publishes every window once, in order, with the right values', async () => {
    const env = serverEnv('windows');
    const server = await ServerProcess.start(env);
    // Two batches in different windows: a batch is counted whole in the window it arrived in.
    expect(
      await post(server, [
        record({ src_app: 'a' }),
        record({ src_app: 'a', bytes_tx: 1 }),
        record({ src_app: 'b' }),
        record({ src_app: 'c', hour: 2 }),
        record({ src_app: 'c', hour: 3 }),
      ]),
    ).toBe(200);
    await until(() => countsLogged(server).some((c) => c.records === 5));
    expect(await post(server, [record({ dest_app: 'x' }), record({ dest_app: 'x' }), record({ dest_app: 'y' })])).toBe(
      200,
    );
    await until(() => countsLogged(server).some((c) => c.records === 3));
    // A few more (empty) windows, then shutdown publishes the partial one.
    const logged = countsLogged(server).length;
    await until(() => countsLogged(server).length >= logged + 3);
    expect(await server.stop()).toBe(0);

    const messages = await readTopic(broker.brokers, env.KAFKA_TOPIC);
    expect(messages.length).toBe(countsLogged(server).length);
    const keys = messages.map((m) => m.key);
    expectPublishedWindows(
      keys,
      countsLogged(server).map((c) => c.minute),
    );
    expect(messages.map((m) => m.value.minute)).toEqual(keys);
    expect(messages.every((m) => m.value.instance === 'e2e-windows')).toBe(true);
    expect(messages.at(-1)?.value.partial).toBe(true);
    const busy = messages.filter((m) => (m.value.records as number) > 0).map(({ value }) => value);
    expect(busy).toEqual([
      { minute: busy[0]?.minute, unique_flows: 4, records: 5, bytes_tx: 401, bytes_rx: 2500, instance: 'e2e-windows' },
      { minute: busy[1]?.minute, unique_flows: 2, records: 3, bytes_tx: 300, bytes_rx: 1500, instance: 'e2e-windows' },
    ]);
    expect(await readFile(env.COUNTS_FILE, 'utf8')).toBe('');
  });

  it.skipIf(externalBrokers)(
    'keeps ingesting while the broker is unreachable for several windows, then delivers every window in order, none twice',
    async () => {
      // Debug logs tell when a send has just finished, so the outage can start between two sends.
      const env = serverEnv('outage', { LOG_LEVEL: 'debug' });
      const server = await ServerProcess.start(env);
      await until(() => logLines(server, 'counts sent to Kafka').length >= 2);

      await broker.freeze?.();
      const sentBefore = logLines(server, 'counts sent to Kafka').length;
      const loggedBefore = countsLogged(server).length;
      expect(await post(server, [record(), record({ src_app: 'z' })])).toBe(200);
      // Several windows close during the outage, and the breaker opens.
      await until(
        () =>
          countsLogged(server).length >= loggedBefore + 4 &&
          logLines(server, 'Kafka unreachable; counts wait in the spool').length > 0,
      );
      expect(logLines(server, 'counts sent to Kafka').length).toBe(sentBefore);
      const spooled = (await readFile(env.COUNTS_FILE, 'utf8')).trim().split('\n');
      expect(spooled.length).toBeGreaterThanOrEqual(4);

      broker.thaw?.();
      await until(async () => (await readFile(env.COUNTS_FILE, 'utf8')) === '');
      expect(logLines(server, 'Kafka reachable again').length).toBeGreaterThan(0);
      expect(await server.stop()).toBe(0);

      const messages = await readTopic(broker.brokers, env.KAFKA_TOPIC);
      expectPublishedWindows(
        messages.map((m) => m.key),
        countsLogged(server).map((c) => c.minute),
      );
      const busy = messages.filter((m) => (m.value.records as number) > 0).map(({ value }) => value);
      expect(busy).toEqual([expect.objectContaining({ unique_flows: 2, records: 2, bytes_tx: 200, bytes_rx: 1000 })]);
    },
  );

  it('starts, ingests and shuts down while Kafka is down, and the next start delivers the spooled windows', async () => {
    const env = serverEnv('down-at-start', { KAFKA_BROKERS: '127.0.0.1:1' });
    const server = await ServerProcess.start(env);
    expect(await post(server, [record()])).toBe(200);
    await until(() => countsLogged(server).length >= 3);
    expect(await server.stop()).toBe(0);
    const logged = countsLogged(server).length;
    const spooled = (await readFile(env.COUNTS_FILE, 'utf8')).trim().split('\n');
    expect(spooled.length).toBe(logged);

    const next = await ServerProcess.start({ ...env, KAFKA_BROKERS: broker.brokers, INSTANCE_ID: 'e2e-next' });
    await until(async () => (await readFile(env.COUNTS_FILE, 'utf8')) === '');
    expect(await next.stop()).toBe(0);
    const messages = await readTopic(broker.brokers, env.KAFKA_TOPIC);
    const first = messages.filter((m) => m.value.instance === 'e2e-down-at-start');
    expect(first.map((m) => m.value)).toEqual(spooled.map((line) => JSON.parse(line)));
    expect(messages.length).toBe(logged + countsLogged(next).length);
  });
});
