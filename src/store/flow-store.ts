import type { FlowRecord, FlowTotal } from '../schemas/flow.js';

/**
 * Hourly totals per flow. `ingest` applies a batch all-or-nothing; a resolved promise means the
 * batch is applied (durably, for a persistent store). A reader never sees part of a batch.
 */
export interface FlowStore {
  ingest(records: readonly FlowRecord[]): Promise<void>;
  flowsForHour(hour: number): Promise<FlowTotal[]>;
  /**
   * Optional fast path for `POST /flows`: applies a JSON body straight from its bytes, validating every
   * record as `ingest`'s caller would, and returns the record count; or returns undefined, having
   * applied nothing, when the body needs the generic path (JSON.parse, schema validation, `ingest`).
   * Throws like `ingest` when a total would overflow. Stores without it use the generic path.
   */
  ingestJson?(body: Uint8Array, maxRecords: number): number | undefined;
  /** Optional fast path for `GET /flows`: `flowsForHour` already serialized as a JSON array. */
  flowsForHourJson?(hour: number): Uint8Array;
  /** Resolves when the store can serve requests; rejects with the reason when it cannot (readiness). */
  ping(): Promise<void>;
  /** Distinct flows currently held, for progress and metrics. */
  flowCount(): Promise<number>;
  close(): Promise<void>;
}
