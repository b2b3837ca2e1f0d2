import { afterEach, describe, expect, test } from 'vitest';
import type { buildApp } from '../../../src/app.js';
import type { CountsSink, SinkStatus } from '../../../src/sinks/counts-sink.js';
import type { CommitStats } from '../../../src/store/flow-store.js';
import { ControllableStore } from '../../support/controllable-store.js';
import { build, record } from '../../support/helper.js';

/** Reads one sample (`name{labels} value`) out of the Prometheus text; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  const apps: ReturnType<typeof buildApp>[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  /** Latency is taken from Node's HTTP server, so the requests it should count go over real HTTP. */
  async function listening() {
    const { app } = build();
    apps.push(app);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const post = (body: string, type = 'application/json') =>
      fetch(`${base}/flows`, { method: 'POST', headers: { 'content-type': type }, body });
    return { app, base, post };
  }

  test('counters and gauges move when records are ingested or rejected', async () => {
    const { app, base, post } = await listening();
    const before = (await app.inject('/metrics')).body;
    expect(sample(before, 'flows_records_ingested_total')).toBe(0);
    expect(sample(before, 'flows_held')).toBe(0);

    const batch = [record(), record({ src_app: 'baz' }), record({ hour: 2 })];
    expect((await post(JSON.stringify(batch))).status).toBe(200);
    expect((await post(JSON.stringify([record({ bytes_tx: -1 })]))).status).toBe(400);
    expect((await post('x', 'application/xml')).status).toBe(415);
    expect((await fetch(`${base}/flows?hour=1`)).status).toBe(200);

    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const after = res.body;
    expect(sample(after, 'flows_records_ingested_total')).toBe(3);
    expect(sample(after, 'flows_batches_ingested_total')).toBe(1);
    expect(sample(after, 'flows_held')).toBe(3);
    expect(sample(after, 'flows_batches_rejected_total{reason="FLOWS_ERR_VALIDATION"}')).toBe(1);
    expect(sample(after, 'flows_batches_rejected_total{reason="FST_ERR_CTP_INVALID_MEDIA_TYPE"}')).toBe(1);
    expect(sample(after, 'flows_store_write_duration_seconds_count')).toBe(1);
    expect(sample(after, 'http_request_duration_seconds_count{method="POST",route="/flows",status_code="200"}')).toBe(
      1,
    );
    expect(sample(after, 'http_request_duration_seconds_count{method="POST",route="/flows",status_code="400"}')).toBe(
      1,
    );
    expect(sample(after, 'http_request_duration_seconds_count{method="GET",route="/flows",status_code="200"}')).toBe(1);
    expect(sample(after, 'http_request_duration_seconds_count{method="POST",route="/flows",status_code="415"}')).toBe(
      1,
    );
    // Requests made with inject do not go through the HTTP server and are not timed.
    expect(after).not.toMatch(/route="\/metrics"/);
    // Default process metrics, event-loop lag among them.
    expect(after).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(after).toMatch(/^process_resident_memory_bytes \d/m);
  });

  test('event-loop figures are numbers from the first scrape on, also for scrapes a few ms apart', async () => {
    const { app } = build();
    apps.push(app);
    for (let scrape = 0; scrape < 3; scrape++) {
      const text = (await app.inject('/metrics')).body;
      for (const figure of ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99']) {
        const value = sample(text, `nodejs_eventloop_lag_${figure}_seconds`);
        // Never NaN, nor the empty histogram's sentinel minimum (2^63 ns, about 292 years).
        expect({ figure, finite: Number.isFinite(value), small: (value ?? 0) < 3600 }).toEqual({
          figure,
          finite: true,
          small: true,
        });
      }
    }
  });

  test('an Idempotency-Key replay is timed under its route, though its handler does not run', async () => {
    const { app, base } = await listening();
    const send = () =>
      fetch(`${base}/flows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'replayed' },
        body: JSON.stringify([record()]),
      });
    expect((await send()).status).toBe(200);
    const repeat = await send();
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    const text = (await app.inject('/metrics')).body;
    expect(sample(text, 'http_request_duration_seconds_count{method="POST",route="/flows",status_code="200"}')).toBe(2);
    expect(text).not.toMatch(/route="unmatched"/);
  });

  test('unknown URLs share one label, so a scan cannot blow up the series count', async () => {
    const { app, base } = await listening();
    expect((await fetch(`${base}/nope/1`)).status).toBe(404);
    expect((await fetch(`${base}/nope/2`)).status).toBe(404);
    expect((await fetch(`${base}/flows`, { method: 'DELETE' })).status).toBe(405);
    const text = (await app.inject('/metrics')).body;
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}')).toBe(
      2,
    );
    expect(
      sample(text, 'http_request_duration_seconds_count{method="DELETE",route="unmatched",status_code="405"}'),
    ).toBe(1);
    expect(text).not.toContain('/nope');
  });

  test('a store that groups commits and a Kafka sink fill the gauges they expose', async () => {
    // What the PostgreSQL store and Kafka sink (other branches) implement; here a minimal stand-in each.
    class GroupCommitStore extends ControllableStore {
      listener: ((commit: CommitStats) => void) | undefined;
      observeCommits(listener: (commit: CommitStats) => void): void {
        this.listener = listener;
      }
    }
    class KafkaLikeSink implements CountsSink {
      state: SinkStatus = { kind: 'kafka', kafkaConnected: true, breaker: 'closed', spoolSize: 0 };
      async publish(): Promise<void> {}
      async close(): Promise<void> {}
      status(): SinkStatus {
        return this.state;
      }
    }
    const store = new GroupCommitStore();
    const sink = new KafkaLikeSink();
    const app = build({ backend: { store, observeCommits: (listener) => store.observeCommits(listener) }, sink }).app;
    apps.push(app);
    await app.ready();
    store.listener?.({ batches: 5, records: 40, durationMs: 3 });
    sink.state = { kind: 'kafka', kafkaConnected: false, breaker: 'open', spoolSize: 7 };
    const text = (await app.inject('/metrics')).body;
    expect(sample(text, 'flows_store_commit_batches_sum')).toBe(5);
    expect(sample(text, 'flows_store_commit_records_sum')).toBe(40);
    expect(sample(text, 'flows_sink_info{kind="kafka"}')).toBe(1);
    expect(sample(text, 'flows_sink_kafka_connected')).toBe(0);
    expect(sample(text, 'flows_sink_breaker_state')).toBe(2);
    expect(sample(text, 'flows_sink_spool_size')).toBe(7);
  });

  test('without a Kafka sink the Kafka gauges are absent, not zero', async () => {
    const { app } = build();
    apps.push(app);
    const text = (await app.inject('/metrics')).body;
    expect(text).not.toContain('flows_sink_kafka_connected');
    expect(sample(text, 'flows_sink_info{kind="none"}')).toBe(1);
  });
});
