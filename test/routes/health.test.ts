import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { buildApp } from '../../src/app.js';
import type { CountsSink, SinkStatus } from '../../src/sinks/counts-sink.js';
import { FileCountsSink } from '../../src/sinks/file.js';
import { ControllableStore } from '../support/controllable-store.js';
import { build, silentLogger } from '../support/helper.js';

/** Stands in for the Kafka sink (another branch) to show /ready never fails on Kafka alone. */
class DisconnectedKafkaSink implements CountsSink {
  async publish(): Promise<void> {}
  async close(): Promise<void> {}
  status(): SinkStatus {
    return { kind: 'kafka', kafkaConnected: false, breaker: 'open', spoolSize: 3 };
  }
}

describe('health and readiness', () => {
  const apps: ReturnType<typeof buildApp>[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  test('/ready flips to 503 while the store cannot be reached, and back; /health stays 200', async () => {
    const store = new ControllableStore();
    const dir = await mkdtemp(join(tmpdir(), 'flows-health-'));
    const sink = await FileCountsSink.open(join(dir, 'counts.jsonl'), 'test', silentLogger);
    const app = build({ backend: { store }, sink }).app;
    apps.push(app);

    const ready = await app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', store: 'up', sink: { kind: 'file' } });

    store.down = true;
    const unready = await app.inject('/ready');
    expect(unready.statusCode).toBe(503);
    expect(unready.json()).toEqual({ status: 'unready', store: 'down', sink: { kind: 'file' } });
    // The driver's message names a host and a user: it must not reach the caller.
    expect(unready.body).not.toContain('10.0.0.5');
    expect((await app.inject('/health')).statusCode).toBe(200);

    store.down = false;
    expect((await app.inject('/ready')).statusCode).toBe(200);
  });

  test('/ready reports a disconnected Kafka sink without failing', async () => {
    const app = build({ backend: { store: new ControllableStore() }, sink: new DisconnectedKafkaSink() }).app;
    apps.push(app);
    const ready = await app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().sink).toEqual({ kind: 'kafka', kafkaConnected: false, breaker: 'open', spoolSize: 3 });
  });

  test('/health answers without touching the store', async () => {
    const store = new ControllableStore();
    store.down = true;
    const app = build({ backend: { store } }).app;
    apps.push(app);
    const health = await app.inject('/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
  });
});
