import type { IdempotencyTicket } from '../../idempotency/idempotency-store.js';
import type { ColumnarBatch } from './columnar-batch.js';
import type { DroppedHour, FlowIdRecorder } from './hours.js';
import type { Interner } from './interner.js';

/** A batch the store has just applied, with what applying it did. */
export interface AppliedBatch {
  /** Reused by the store for the next batch: read before `applied` returns. */
  batch: ColumnarBatch;
  /** The interner the batch's name ids are in. */
  names: Interner;
  ticket: IdempotencyTicket | undefined;
  /** Retention dropped the hours before this one once the batch was applied (0: it dropped none)... */
  dropBefore: number;
  /** ...which are these: out of the tables, but put back if the batch is taken back. */
  dropped: readonly DroppedHour[];
}

/** The store that owns the tables, as the journal sees it. */
export interface JournalHost {
  /** The interner now: name compaction replaces it. */
  names(): Interner;
  /** Batches are on disk: the hours they dropped are gone for good. */
  durable(dropped: readonly DroppedHour[]): void;
  /** Every batch not on disk was taken back, and the hours they dropped were put back. */
  takenBack(): void;
}

/**
 * What makes the in-memory store durable (DATA_DIR; durability/journal.ts). The store applies each batch
 * in memory first, with every check, then hands it over here and answers once the promise resolves. Until
 * then the batch's records go to the journal (a FlowIdRecorder) instead of the minute window.
 */
export interface BatchJournal extends FlowIdRecorder {
  /** Called once by the store, before the first batch. */
  attach(host: JournalHost): void;
  /**
   * Resolves once the batch is on disk; when it cannot be, takes it back out of memory and rejects with a
   * 5xx error for the client.
   */
  applied(applied: AppliedBatch): Promise<void>;
  /** Rejects while batches cannot be made durable (readiness). */
  ping(): Promise<void>;
  /** Waits for pending batches, writes a last snapshot, closes the files. */
  close(): Promise<void>;
}
