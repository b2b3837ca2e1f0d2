import type { IdempotencyTicket } from '../../idempotency/idempotency-store.js';
import type { ColumnarBatch } from './columnar-batch.js';

/**
 * What makes the in-memory store durable (DATA_DIR; durability/journal.ts). The store applies each batch
 * in memory first, with every check, then hands it over here and answers once the promise resolves.
 */
export interface BatchJournal {
  /**
   * `batch` has just been applied; names from `namesBefore` on were interned by it. Reads it before
   * returning (the store reuses it for the next batch). Resolves once it is on disk; when it cannot be,
   * takes it back out of memory and rejects with a 5xx error for the client.
   */
  applied(batch: ColumnarBatch, namesBefore: number, ticket: IdempotencyTicket | undefined): Promise<void>;
  /** Rejects while batches cannot be made durable (readiness). */
  ping(): Promise<void>;
  /** Waits for pending batches, writes a last snapshot, closes the files. */
  close(): Promise<void>;
}
