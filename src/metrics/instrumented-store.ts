import type { FlowRecord } from '../schemas/flow.js';
import type { FlowStore, IngestOptions } from '../store/flow-store.js';
import type { FlowMetrics } from './flow-metrics.js';

/**
 * The store as the routes see it: each applied batch counts its records and its write latency. Measured
 * here rather than in the route, so a store is measured the same way whichever route calls it.
 */
export function instrumentStore(store: FlowStore, metrics: FlowMetrics): FlowStore {
  const ingestJson = store.ingestJson?.bind(store);
  return {
    async ingest(records: readonly FlowRecord[], options?: IngestOptions) {
      const stop = metrics.storeWriteDuration.startTimer();
      await store.ingest(records, options);
      stop();
      metrics.recordsIngested.inc(records.length);
      metrics.batchesIngested.inc();
    },
    // The fast paths must come through too, or the route silently falls back to the generic one.
    ingestJson: ingestJson && instrumentIngestJson(ingestJson, metrics),
    flowsForHourJson: store.flowsForHourJson?.bind(store),
    flowsForHour: (hour) => store.flowsForHour(hour),
    // Without it the route would read a whole hour into memory instead of streaming it page by page.
    streamFlowsForHour: store.streamFlowsForHour?.bind(store),
    ping: () => store.ping(),
    flowCount: () => store.flowCount(),
    close: () => store.close(),
    observeCommits: store.observeCommits?.bind(store),
    idempotency: store.idempotency,
  };
}

function instrumentIngestJson(
  ingestJson: NonNullable<FlowStore['ingestJson']>,
  metrics: FlowMetrics,
): FlowStore['ingestJson'] {
  return (body, maxRecords) => {
    const stop = metrics.storeWriteDuration.startTimer();
    const accepted = ingestJson(body, maxRecords);
    if (accepted === undefined) return undefined;
    stop();
    metrics.recordsIngested.inc(accepted);
    metrics.batchesIngested.inc();
    return accepted;
  };
}
