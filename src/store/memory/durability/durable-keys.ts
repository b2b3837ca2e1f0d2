import { LRUCache } from 'lru-cache';
import { bodyHash } from '../../../idempotency/body-hash.js';
import {
  acceptedOutcome,
  type IdempotencyOutcome,
  type IdempotencyStore,
  type IdempotencyTicket,
} from '../../../idempotency/idempotency-store.js';

interface KeyEntry {
  bodyHash: string;
  accepted: number;
  expiresAt: number;
}

/** One key as a snapshot holds it: key, body hash, records accepted, expiry (epoch ms). */
export type KeyRow = [key: string, bodyHash: string, accepted: number, expiresAt: number];

/**
 * Idempotency-Keys with DATA_DIR: recorded by the journal with their batch (in memory when the batch is
 * applied, on disk in its log record and in snapshots), so a key exists exactly when its batch does, also
 * after a restart. Bounded like the volatile keys (IDEMPOTENCY_MAX_KEYS, least recently used first).
 * As StoreBackend.idempotency: `get` answers the one success POST /flows has; `put` has nothing left to do.
 */
export class DurableKeys implements IdempotencyStore {
  readonly #cache: LRUCache<string, KeyEntry>;
  /** SHA-256: keys are written to the journal and read back after a restart. */
  readonly bodyHash = bodyHash;

  constructor(maxKeys: number, ttlMs: number) {
    this.#cache = new LRUCache({ max: maxKeys, ttl: ttlMs, ttlAutopurge: false });
  }

  get(key: string): IdempotencyOutcome | undefined {
    const entry = this.#cache.get(key);
    return entry && acceptedOutcome(entry.bodyHash, entry.accepted);
  }

  put(): void {}

  record({ key, bodyHash, expiresAt }: IdempotencyTicket, accepted: number): void {
    const ttl = expiresAt - Date.now();
    if (ttl > 0) this.#cache.set(key, { bodyHash, accepted, expiresAt }, { ttl });
  }

  forget(key: string): void {
    this.#cache.delete(key);
  }

  /** The live keys, least recently used first, so that restoring them in order keeps the LRU order. */
  rows(): KeyRow[] {
    const now = Date.now();
    const rows: KeyRow[] = [];
    for (const [key, e] of this.#cache.rentries() as Generator<[string, KeyEntry]>) {
      if (e.expiresAt > now) rows.push([key, e.bodyHash, e.accepted, e.expiresAt]);
    }
    return rows;
  }

  restore(rows: KeyRow[]): void {
    for (const [key, bodyHash, accepted, expiresAt] of rows) this.record({ key, bodyHash, expiresAt }, accepted);
  }

  get size(): number {
    return this.#cache.size;
  }
}
