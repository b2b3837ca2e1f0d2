import type { FlowRecord, FlowTotal } from '../schemas/flow.js';

/**
 * Hourly totals per flow. `ingest` applies a batch all-or-nothing; a resolved promise means the
 * batch is applied (durably, for a persistent store). A reader never sees part of a batch.
 */
export interface FlowStore {
  ingest(records: readonly FlowRecord[]): Promise<void>;
  flowsForHour(hour: number): Promise<FlowTotal[]>;
  /**
   * The same flows page by page, for stores whose hours may not fit in memory twice (PostgreSQL).
   * Resolves once the first page is read, so a failure comes before the response starts.
   */
  streamFlowsForHour?(hour: number): Promise<AsyncIterable<FlowTotal[]>>;
  /** Resolves when the store can serve requests; rejects with the reason when it cannot (readiness). */
  ping(): Promise<void>;
  /** Distinct flows currently held, for progress and metrics. */
  flowCount(): Promise<number>;
  close(): Promise<void>;
}
