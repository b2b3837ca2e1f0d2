import type { Readable } from 'node:stream';
import type { BreakerState } from '../breaker-state.js';
import type { CountsHistory } from '../counts/counts-history.js';
import type { IdempotencyStore, IdempotencyTicket } from '../idempotency/idempotency-store.js';
import type { HourSummary, TopGroups, TopQuery } from '../queries/flow-queries.js';
import type { FlowRecord, FlowTotal } from '../schemas/flow.js';
import type { WindowCounter } from '../window/window-counter.js';
import type { StoreLimits } from './limits.js';

export interface IngestOptions {
  /**
   * Set when the request carried an Idempotency-Key. The PostgreSQL store records the ticket in the
   * batch's own transaction (see StoreBackend.idempotency), the in-memory store with DATA_DIR in the
   * batch's log record; the volatile in-memory store ignores it.
   */
  idempotency?: IdempotencyTicket;
}

/**
 * Hourly totals per flow; test/store/flow-store-contract.ts specifies it for every store. `ingest`
 * applies a batch all-or-nothing; a resolved promise means the batch is applied (durably, for a
 * persistent store). A reader never sees part of a batch.
 */
export interface FlowStore {
  ingest(records: readonly FlowRecord[], options?: IngestOptions): Promise<void>;
  /** Every flow seen in `hour`; `[]` for an hour never seen. */
  flowsForHour(hour: number): Promise<FlowTotal[]>;
  /** Resolves when the store can serve requests; rejects with the reason when it cannot (readiness). */
  ping(): Promise<void>;
  /** Distinct (flow, hour) totals currently held, for progress and metrics. */
  flowCount(): Promise<number>;
  /** Settles every batch already submitted, then releases the store's resources. */
  close(): Promise<void>;
  /** `GET /hours`: each hour of [from, to] that has flows, ascending, with exact sums. */
  hourSummaries(from: number, to: number): Promise<HourSummary[]>;
  /** `GET /flows/top`: the top groups in order and the total over all groups, from one consistent view. */
  topFlows(query: TopQuery): Promise<TopGroups>;

  // Fast paths a backend may add. The routes call them when present, so the store is handed to the
  // routes as it is: a wrapper would have to forward each of them.

  /**
   * `POST /flows` straight from the body's bytes: validates every record as `ingest`'s caller would, and
   * returns the record count; or returns undefined, having applied nothing, when the body needs the
   * generic path (JSON.parse, schema validation, `ingest`). Throws like `ingest` when a total would overflow.
   * A store that must wait before answering (to make the batch durable) returns a promise of the count.
   */
  ingestJson?(body: Uint8Array, maxRecords: number, options?: IngestOptions): number | Promise<number> | undefined;
  /**
   * `GET /flows`: `flowsForHour` already serialized as a JSON array, whole, or as a byte stream for a
   * large hour (with its `size` when known, for Content-Length).
   */
  flowsForHourJson?(hour: number): Uint8Array | (Readable & { size?: number });
  /**
   * `GET /flows` page by page, for stores whose hours may not fit in memory twice. Resolves once the
   * first page is read, so a failure comes before the response starts.
   */
  streamFlowsForHour?(hour: number): Promise<AsyncIterable<FlowTotal[]>>;
}

/** One commit of a store that groups several batches into one transaction (metrics only). */
export interface CommitStats {
  batches: number;
  records: number;
  durationMs: number;
}

export type ObserveCommits = (listener: (commit: CommitStats) => void) => void;

/** A storage backend as start-up wires it: the store and what comes with it, each passed where it is used. */
export interface StoreBackend {
  store: FlowStore;
  /** What the scheduler closes at each window boundary. */
  counter: WindowCounter;
  /**
   * Idempotency-Keys kept by the backend itself (PostgreSQL: written with each batch, so they hold across
   * instances and restarts). Unset: the app keeps keys in a bounded in-memory table (MemoryIdempotencyStore).
   */
  idempotency?: IdempotencyStore;
  /** Reports each group commit (PostgreSQL), for the commit metrics. */
  observeCommits?: ObserveCommits;
  /** The circuit breaker around the database (PostgreSQL), for the metrics. */
  breakerState?: () => BreakerState;
  /** Retention and capacity, for `/ready` and `/metrics`; unset when neither applies. */
  limits?: StoreLimits;
  /**
   * The published minute counts, for `GET /counts`: a ring in memory, a table in PostgreSQL. openStore
   * always sets it; unset (a backend a test builds by hand), `GET /counts` answers from an empty one.
   */
  countsHistory?: CountsHistory;
}
