import { BodyFingerprint } from './body-fingerprint.js';
import {
  acceptedCount,
  acceptedOutcome,
  type IdempotencyOutcome,
  type IdempotencyStore,
  type IdempotencyTicket,
} from './idempotency-store.js';
import { KeyTable } from './key-table.js';

/**
 * Outcomes in a bounded table with a time to live (KeyTable, off the heap): memory stays bounded however
 * many keys agents send, at the price that past `maxKeys` the oldest keys are forgotten before their TTL.
 * It holds what POST /flows answers, its one success (acceptedOutcome). Its keys never leave the process,
 * so bodies are told apart by a BodyFingerprint rather than SHA-256.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #table: KeyTable;
  readonly #fingerprint = new BodyFingerprint();

  constructor(maxKeys: number) {
    this.#table = new KeyTable(maxKeys);
  }

  bodyHash(body: unknown): string {
    return this.#fingerprint.of(body);
  }

  get(key: string, now = Date.now()): IdempotencyOutcome | undefined {
    const held = this.#table.get(key, now);
    return held && acceptedOutcome(held.fingerprint, held.accepted);
  }

  put(ticket: IdempotencyTicket, outcome: IdempotencyOutcome, now = Date.now()): void {
    const accepted = acceptedCount(outcome.response);
    if (accepted === undefined) throw new Error('only the answer of an applied batch can be held for a key');
    if (ticket.expiresAt > now) this.#table.set(ticket.key, outcome.bodyHash, accepted, ticket.expiresAt, now);
  }
}
