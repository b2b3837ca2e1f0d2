import type { IdempotencyStore, IdempotencyTicket } from '../idempotency/idempotency-store.js';
import type { FlowRecord, FlowTotal } from '../schemas/flow.js';

export interface IngestOptions {
  /**
   * Set when the request carried an Idempotency-Key. A persistent store records the ticket in the same
   * transaction as the batch (see `idempotency` below); the in-memory store ignores it.
   */
  idempotency?: IdempotencyTicket;
}

/** One commit of a store that groups several batches into one transaction (metrics only). */
export interface CommitStats {
  batches: number;
  records: number;
  durationMs: number;
}

/**
 * Hourly totals per flow. `ingest` applies a batch all-or-nothing; a resolved promise means the
 * batch is applied (durably, for a persistent store). A reader never sees part of a batch.
 */
export interface FlowStore {
  ingest(records: readonly FlowRecord[], options?: IngestOptions): Promise<void>;
  flowsForHour(hour: number): Promise<FlowTotal[]>;
  /**
   * The same flows page by page, for stores whose hours may not fit in memory twice (PostgreSQL).
   * Resolves once the first page is read, so a failure comes before the response starts.
   */
  streamFlowsForHour?(hour: number): Promise<AsyncIterable<FlowTotal[]>>;
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
  /** Optional: a store that commits in groups reports each commit, for the group-commit metrics. */
  observeCommits?(listener: (commit: CommitStats) => void): void;
  /**
   * Optional: a store that records idempotency tickets with its batches also answers for them, so keys
   * hold across instances and restarts. Without it, the app keeps keys in a bounded in-memory LRU.
   */
  readonly idempotency?: IdempotencyStore;
}
