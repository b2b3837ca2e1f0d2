import { afterEach, describe, expect, test } from 'vitest';
import type { buildApp } from '../../../src/app.js';
import { IdempotencyInFlightError } from '../../../src/errors.js';
import { bodyHash } from '../../../src/idempotency/body-hash.js';
import type { IdempotencyOutcome, IdempotencyStore } from '../../../src/idempotency/idempotency-store.js';
import type { FlowRecord } from '../../../src/schemas/flow.js';
import type { IngestOptions } from '../../../src/store/flow-store.js';
import { ControllableStore } from '../../support/controllable-store.js';
import { build, record } from '../../support/helper.js';

interface Row {
  bodyHash: string;
  accepted: number;
  expiresAt: number;
  committed: boolean;
}

/**
 * The contract a persistent store (PostgreSQL, another branch) implements, played by the in-memory
 * store: the ticket's row is inserted at the start of the batch's transaction and committed with it; an
 * insert that meets a live row (committed or not) refuses the batch with 409; readers see committed
 * rows only. Shared by several app instances, it stands for the one database behind them.
 */
class TicketKeepingStore extends ControllableStore {
  readonly rows = new Map<string, Row>();

  override async ingest(records: readonly FlowRecord[], options?: IngestOptions): Promise<void> {
    const ticket = options?.idempotency;
    if (!ticket) return super.ingest(records, options);
    const existing = this.rows.get(ticket.key);
    if (existing && existing.expiresAt > Date.now()) throw new IdempotencyInFlightError();
    const row = { bodyHash: ticket.bodyHash, expiresAt: ticket.expiresAt, accepted: records.length, committed: false };
    this.rows.set(ticket.key, row);
    try {
      await super.ingest(records, options);
      row.committed = true;
    } catch (err) {
      this.rows.delete(ticket.key);
      throw err;
    }
  }

  readonly idempotency: IdempotencyStore = {
    bodyHash,
    get: async (key): Promise<IdempotencyOutcome | undefined> => {
      const row = this.rows.get(key);
      if (!row?.committed || row.expiresAt <= Date.now()) return undefined;
      return {
        bodyHash: row.bodyHash,
        response: { statusCode: 200, payload: JSON.stringify({ accepted: row.accepted }) },
      };
    },
    // Already written with the batch.
    put: async () => {},
  };
}

describe('Idempotency-Key with a store that records keys with its batches', () => {
  const apps: ReturnType<typeof buildApp>[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  const instance = (store: TicketKeepingStore) => {
    const app = build({ backend: { store, idempotency: store.idempotency } }).app;
    apps.push(app);
    return (key: string, payload: unknown) =>
      app.inject({ method: 'POST', url: '/flows', payload: payload as object, headers: { 'idempotency-key': key } });
  };
  const batch = [record(), record({ hour: 2 })];

  test('a repeat on another instance, or after a restart, gets the stored response', async () => {
    const store = new TicketKeepingStore();
    const a = instance(store);
    const b = instance(store);
    expect((await a('k1', batch)).json()).toEqual({ accepted: 2 });
    const onB = await b('k1', batch);
    expect(onB.statusCode).toBe(200);
    expect(onB.json()).toEqual({ accepted: 2 });
    expect(onB.headers['idempotent-replayed']).toBe('true');
    expect((await b('k1', [record()])).statusCode).toBe(422);

    // A restart: a new app over the same store.
    await apps[0].close();
    const restarted = instance(store);
    expect((await restarted('k1', batch)).headers['idempotent-replayed']).toBe('true');
    expect(store.ingests).toBe(1);
    // Shared and kept across restarts, keys hold their body's SHA-256 (the store's bodyHash), the same in
    // every process.
    expect(store.rows.get('-:k1')?.bodyHash).toBe(bodyHash(Buffer.from(JSON.stringify(batch))));
  });

  test('a repeat racing the first on another instance gets 409, and its retry the stored response', async () => {
    const store = new TicketKeepingStore();
    const a = instance(store);
    const b = instance(store);
    const gate = store.hold();
    const first = a('race', batch);
    await gate.arrived;
    // B cannot see A's request in flight (another process): the store's key refuses it.
    const raced = await b('race', batch);
    expect(raced.statusCode).toBe(409);
    expect(raced.json()).toMatchObject({ code: 'FLOWS_ERR_IDEMPOTENCY_IN_FLIGHT' });
    gate.release();
    expect((await first).statusCode).toBe(200);
    const retry = await b('race', batch);
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(store.ingests).toBe(1);
  });

  test('a failed batch leaves no key behind', async () => {
    const store = new TicketKeepingStore();
    const a = instance(store);
    store.down = true;
    expect((await a('fails', batch)).statusCode).toBe(500);
    store.down = false;
    expect((await a('fails', batch)).headers['idempotent-replayed']).toBeUndefined();
    expect(store.ingests).toBe(1);
  });
});
