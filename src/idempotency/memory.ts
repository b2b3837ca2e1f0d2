import { LRUCache } from 'lru-cache';
import type { IdempotencyOutcome, IdempotencyStore, IdempotencyTicket } from './idempotency-store.js';

export interface MemoryIdempotencyOptions {
  maxKeys: number;
  ttlMs: number;
}

/**
 * Outcomes in a bounded LRU with a time to live: memory stays bounded however many keys agents send,
 * at the price that under pressure the least recently used keys are forgotten before their TTL.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #cache: LRUCache<string, IdempotencyOutcome>;

  constructor({ maxKeys, ttlMs }: MemoryIdempotencyOptions) {
    this.#cache = new LRUCache({ max: maxKeys, ttl: ttlMs, ttlAutopurge: false });
  }

  get(key: string): IdempotencyOutcome | undefined {
    return this.#cache.get(key);
  }

  put(ticket: IdempotencyTicket, outcome: IdempotencyOutcome): void {
    const ttl = ticket.expiresAt - Date.now();
    if (ttl > 0) this.#cache.set(ticket.key, outcome, { ttl });
  }

  get size(): number {
    return this.#cache.size;
  }
}
