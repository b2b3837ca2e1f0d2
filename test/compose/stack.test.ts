import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../testkit/free-port.js';
import { readmeExamples } from '../support/readme-examples.js';
import { postUntilAcknowledged, runWriters, startReader, storedTotals, sumTotals, writerBatch } from './load.js';
import {
  brokerLog,
  compose,
  containerIds,
  containerOutput,
  docker,
  eventually,
  ipAddress,
  occupyFreedAddress,
  stackDir,
  waitHealthy,
} from './stack.js';
import { servedBy } from './upstreams.js';

// The real stack, started by `npm run test:compose` (test/compose/run.sh), which prepares the engine and the
// stand-in base images first and always takes everything down afterwards. One stack, so one sequence of steps.
const sh = promisify(execFile);
let env: Record<string, string>;
let app: string;
let balancer: string;

async function up(overrides: Record<string, string> = {}, profile: string[] = []): Promise<void> {
  env = { ...env, ...overrides };
  await compose([...profile, 'up', '-d', '--wait', '--no-build'], env);
}

beforeAll(async () => {
  if (!existsSync(join(stackDir, 'docker-compose.yml'))) throw new Error('no stack prepared: run npm run test:compose');
  // Published ports on free ports, through the variables the README documents (the defaults may be taken here).
  const [db, kafka, http, nginx] = [await freePort(), await freePort(), await freePort(), await freePort()];
  env = { DB_PORT: `${db}`, KAFKA_PORT: `${kafka}`, HTTP_PORT: `${http}`, NGINX_PORT: `${nginx}` };
  // Short windows, so minute counts are published within seconds.
  env.ROTATION_INTERVAL_MS = '3000';
  app = `http://127.0.0.1:${http}`;
  balancer = `http://127.0.0.1:${nginx}`;
  await up({ INMEMORY: 'true' });
});

describe('docker compose up (default profile)', () => {
  it('answers the README curl examples of POST and GET /flows as the README shows', async () => {
    // The others describe a process without Kafka (`/ready` names the file sink); here counts go to kafka.
    const examples = (await readmeExamples()).filter(({ command }) => command.includes('/flows'));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const { command, expected } of examples) {
      const { stdout } = await sh('bash', ['-c', command.replaceAll('localhost:8080', app.slice('http://'.length))]);
      expect({ command, output: JSON.parse(stdout) }).toEqual({ command, output: expected });
    }
  });

  it('publishes the minute counts to the kafka service, reachable on KAFKA_PORT', async () => {
    // Every record the README examples applied, in hours 1 to 3, is in some minute's count.
    const expected = { tx: 0, rx: 0 };
    for (const hour of [1, 2, 3]) {
      for (const total of Object.values(await storedTotals(app, hour))) {
        expected.tx += total.bytes_tx;
        expected.rx += total.bytes_rx;
      }
    }
    expect(expected.tx).toBeGreaterThan(0);
    const counts = await eventually(async () => {
      const published = await brokerLog('flow-counts');
      const tx = published.reduce((sum, c) => sum + c.value.bytes_tx, 0);
      const rx = published.reduce((sum, c) => sum + c.value.bytes_rx, 0);
      expect({ tx, rx }).toEqual(expected);
      return published;
    }, 60_000);
    for (const { key, value } of counts) expect(key).toBe(value.minute);
    expect(new Set(counts.map((c) => c.value.instance)).size).toBe(1);

    // From the host, as `npm run counts -- --brokers localhost:$KAFKA_PORT` would connect: bootstrap, then
    // the advertised listener. The stand-in serves offsets but no Fetch, so the messages come from its log.
    const kafka = new Kafka({ brokers: [`127.0.0.1:${env.KAFKA_PORT}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [partition] = await admin.fetchTopicOffsets('flow-counts');
      expect(Number(partition.high)).toBeGreaterThanOrEqual(counts.length);
    } finally {
      await admin.disconnect();
    }
  });

  it('INMEMORY=false keeps the totals in PostgreSQL across down and up', async () => {
    const dbLog = await compose(['logs', 'db'], env);
    expect(dbLog).toContain('running /docker-entrypoint-initdb.d/init.sql');
    await up({ INMEMORY: 'false' });
    const records = writerBatch(0, 0, 20, 500);
    expect(await postUntilAcknowledged(app, records)).toBe(1);
    expect(await storedTotals(app, 500)).toEqual(sumTotals(records));

    await compose(['down'], env);
    expect(await containerIds('db', env)).toEqual([]);
    await up();
    expect(await storedTotals(app, 500)).toEqual(sumTotals(records));
    // The new db container found its data folder: no init script ran this time.
    expect(await compose(['logs', 'db'], env)).not.toContain('running /docker-entrypoint-initdb.d');
  });
});

describe('settings from the shell', () => {
  it('reach the service: API keys and a retention, and unset again, the defaults', async () => {
    const key = 'compose-test-key-0123456789abcdef';
    const post = (hour: number, headers: Record<string, string> = {}) =>
      fetch(`${app}/flows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(writerBatch(0, 0, 1, hour)),
      });
    const settings = { API_KEYS_INGEST: key, API_KEYS_QUERY: key, RETENTION_HOURS: '2' };
    const inMemoryBefore = env.INMEMORY;
    try {
      await up({ ...settings, INMEMORY: 'true' });
      expect((await post(100)).status).toBe(401);
      const authorized = { authorization: `Bearer ${key}` };
      expect((await post(100, authorized)).status).toBe(200);
      const expired = await post(90, authorized);
      expect(expired.status).toBe(422);
      expect((await expired.json()).code).toBe('FLOWS_ERR_HOUR_EXPIRED');
    } finally {
      await up({ API_KEYS_INGEST: '', API_KEYS_QUERY: '', RETENTION_HOURS: '', INMEMORY: inMemoryBefore });
    }
    expect((await fetch(`${app}/flows?hour=90`)).status).toBe(200);
  });
});

describe('docker compose --profile scale up', () => {
  const scale = ['--profile', 'scale'];
  let replicas: string[];
  let nginx: string;

  beforeAll(async () => {
    await up({}, scale);
    replicas = await containerIds('flowanalysis-replica', env);
    [nginx] = await containerIds('nginx', env);
  });

  it('runs two replicas behind nginx; concurrent writers get exact totals and every replica serves', async () => {
    expect(replicas.length).toBeGreaterThanOrEqual(2);
    const since = new Date().toISOString();
    const run = await runWriters(balancer, { writers: 6, batchSize: 10, hour: 600, more: (r) => r.acknowledged < 120 });
    expect(run.retries).toBe(0);
    expect(await storedTotals(balancer, 600)).toEqual(sumTotals(run.sent));
    const served = await servedBy(nginx, since);
    for (const replica of replicas) expect(served).toContain(`${await ipAddress(replica)}:8080`);
  });

  let stopped: string;
  let stoppedAddress: string;

  it('keeps answering while a replica is stopped mid-load: every write acknowledged, totals exact', async () => {
    stopped = replicas[1];
    stoppedAddress = await ipAddress(stopped);
    let stop: Promise<string> | undefined;
    let stoppedAt = Number.POSITIVE_INFINITY;
    const reader = startReader(`${balancer}/flows?hour=700`);
    const run = await runWriters(balancer, {
      writers: 6,
      batchSize: 10,
      hour: 700,
      // Go on well past the stop, so writes land on the remaining replica alone too.
      more: (r) => r.acknowledged < stoppedAt + 60,
      onAcknowledged: (r) => {
        if (r.acknowledged !== 30) return;
        stop = docker(['stop', stopped]).then((out) => {
          stoppedAt = r.acknowledged;
          return out;
        });
      },
    });
    const reads = await reader.stop();
    await stop;
    expect((await docker(['inspect', '-f', '{{.State.Running}}', stopped])).trim()).toBe('false');
    expect(reads.failed).toEqual([]);
    expect(reads.ok).toBeGreaterThan(0);
    expect(await storedTotals(balancer, 700)).toEqual(sumTotals(run.sent));
    console.info(`stop mid-load: ${run.acknowledged} batches acknowledged, ${run.retries} retries, ${reads.ok} reads`);
  });

  it('sends traffic again to the replica restarted at a new address', async () => {
    const holder = await occupyFreedAddress(nginx);
    try {
      await docker(['start', stopped]);
      const address = await ipAddress(stopped);
      expect(address).not.toBe(stoppedAddress);
      await waitHealthy(stopped);
      const since = new Date().toISOString();
      await eventually(async () => {
        for (let i = 0; i < 10; i++) expect((await fetch(`${balancer}/flows?hour=700`)).status).toBe(200);
        expect(await servedBy(nginx, since)).toContain(`${address}:8080`);
      }, 30_000);
    } finally {
      await docker(['rm', '-f', holder]);
    }
  });

  it('logs JSON lines only: no Node warning (kafkajs on Node 24) among them', async () => {
    const containers = [...(await containerIds('flowanalysis', env)), ...replicas];
    const lines = (await Promise.all(containers.map(containerOutput))).join('\n').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((line) => !line.startsWith('{'))).toEqual([]);
    for (const line of lines) JSON.parse(line);
  });
});
