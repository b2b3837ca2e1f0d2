import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerState } from '../breaker-state.js';
import type { CountsSink } from '../sinks/counts-sink.js';
import type { FlowStore, ObserveCommits } from '../store/flow-store.js';
import type { StoreLimits } from '../store/limits.js';
import { withTimeout } from '../with-timeout.js';
import { registerEventLoopDelay } from './event-loop-delay.js';
import { FastHistogram, type Series } from './fast-histogram.js';
import { limitGauges } from './limit-gauges.js';

const BREAKER_GAUGE = { closed: 0, 'half-open': 1, open: 2 } as const;
/** A scrape waits no longer than this for the store's figures. */
const STORE_GAUGE_TIMEOUT_MS = 1000;

/**
 * Every metric the service exports, in a registry of its own (not prom-client's global one), so two
 * apps in one process (tests, a future admin listener) never clash.
 */
export class FlowMetrics {
  readonly registry = new Registry();
  /** Observed by every request, so a FastHistogram rather than prom-client's (see fast-histogram.ts). */
  readonly requestDuration: FastHistogram<'method' | 'route' | 'status_code'>;
  readonly recordsIngested: Counter;
  readonly batchesIngested: Counter;
  readonly batchesRejected: Counter<'reason'>;
  readonly idempotentReplays: Counter;
  /** Seconds; observed by every batch. */
  readonly storeWriteDuration: Series;
  readonly commitBatches: Histogram;
  readonly commitRecords: Histogram;

  constructor(
    store: Pick<FlowStore, 'flowCount'>,
    sink: CountsSink | undefined,
    observeCommits?: ObserveCommits,
    limits?: StoreLimits,
    storeBreaker?: () => BreakerState,
  ) {
    const registers = [this.registry];
    // Process metrics and event-loop lag (nodejs_eventloop_lag_*), as every Node service exports them.
    collectDefaultMetrics({ register: this.registry });
    registerEventLoopDelay(this.registry);
    this.requestDuration = new FastHistogram(
      'http_request_duration_seconds',
      'HTTP request latency by route and status',
      ['method', 'route', 'status_code'],
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      this.registry,
    );
    this.recordsIngested = new Counter({
      name: 'flows_records_ingested_total',
      help: 'Flow records applied to the store',
      registers,
    });
    this.batchesIngested = new Counter({
      name: 'flows_batches_ingested_total',
      help: 'POST /flows batches applied to the store',
      registers,
    });
    this.batchesRejected = new Counter({
      name: 'flows_batches_rejected_total',
      help: 'POST /flows batches rejected, by error code',
      labelNames: ['reason'],
      registers,
    });
    this.idempotentReplays = new Counter({
      name: 'flows_idempotent_replays_total',
      help: 'Requests answered from a stored Idempotency-Key response instead of being applied again',
      registers,
    });
    this.storeWriteDuration = new FastHistogram(
      'flows_store_write_duration_seconds',
      'Time for the store to apply one batch, including any wait for a group commit',
      [],
      [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      this.registry,
    ).series({});
    this.commitBatches = new Histogram({
      name: 'flows_store_commit_batches',
      help: 'Batches per store commit (group commit size; persistent stores only)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.commitRecords = new Histogram({
      name: 'flows_store_commit_records',
      help: 'Records per store commit (persistent stores only)',
      buckets: [1, 10, 100, 1000, 10_000, 100_000, 1_000_000],
      registers,
    });
    observeCommits?.((commit) => {
      this.commitBatches.observe(commit.batches);
      this.commitRecords.observe(commit.records);
    });
    this.#storeGauges(store, storeBreaker);
    this.#sinkGauges(sink);
    if (limits) limitGauges(this.registry, limits);
  }

  /** A POST /flows refused or failed, by its error code. */
  rejectBatch(code: string | undefined): void {
    this.batchesRejected.inc({ reason: code ?? 'FLOWS_ERR_INTERNAL' });
  }

  #storeGauges(store: Pick<FlowStore, 'flowCount'>, breaker: (() => BreakerState) | undefined): void {
    new Gauge({
      name: 'flows_held',
      help: 'Distinct (flow, hour) totals currently held by the store (NaN while the store cannot say)',
      registers: [this.registry],
      async collect() {
        // While the database is away the figure is unknown (NaN, which no alert threshold matches); the rest
        // of the scrape, the process metrics above all, must still be served.
        try {
          this.set(await withTimeout(store.flowCount(), STORE_GAUGE_TIMEOUT_MS, 'counting the stored flows'));
        } catch {
          this.set(Number.NaN);
        }
      },
    });
    if (breaker) {
      new Gauge({
        name: 'flows_store_breaker_state',
        help: 'Circuit breaker in front of the database: 0 closed, 1 half-open, 2 open (failing fast)',
        registers: [this.registry],
        collect() {
          this.set(BREAKER_GAUGE[breaker()]);
        },
      });
    }
  }

  #sinkGauges(sink: CountsSink | undefined): void {
    const status = () => sink?.status?.();
    const registers = [this.registry];
    new Gauge({
      name: 'flows_sink_info',
      help: 'Kind of the counts sink (value always 1)',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        this.set({ kind: status()?.kind ?? 'none' }, 1);
      },
    });
    // A sink's kind never changes, so a gauge it cannot report is not registered at all: Prometheus then
    // shows it as absent rather than as a misleading 0.
    const initial = status() ?? { kind: 'none' };
    if (initial.kafkaConnected !== undefined) {
      new Gauge({
        name: 'flows_sink_kafka_connected',
        help: '1 when the Kafka producer is connected, else 0',
        registers,
        collect() {
          this.set(status()?.kafkaConnected ? 1 : 0);
        },
      });
    }
    if (initial.breaker !== undefined) {
      new Gauge({
        name: 'flows_sink_breaker_state',
        help: 'Kafka circuit breaker: 0 closed, 1 half-open, 2 open',
        registers,
        collect() {
          this.set(BREAKER_GAUGE[status()?.breaker ?? 'closed']);
        },
      });
    }
    if (initial.spoolSize !== undefined) {
      new Gauge({
        name: 'flows_sink_spool_size',
        help: 'Minute counts spooled while Kafka is unreachable',
        registers,
        collect() {
          this.set(status()?.spoolSize ?? 0);
        },
      });
    }
  }
}
