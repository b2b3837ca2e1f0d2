import { setTimeout as sleep } from 'node:timers/promises';
import { BrokenCircuitError } from 'cockatiel';
import { describe, expect, it, vi } from 'vitest';
import { PgCountsHistory } from '../../../src/store/postgres/counts-history.js';
import { unavailable } from '../../../src/store/postgres/errors.js';
import { StoreGuard } from '../../../src/store/postgres/guard.js';
import { createPool } from '../../../src/store/postgres/pool.js';
import { PostgresFlowStore } from '../../../src/store/postgres/postgres-store.js';
import { freePort } from '../../../testkit/free-port.js';
import { record, silentLogger } from '../../support/helper.js';
import { countAt, T0 } from '../../support/minute-counts.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const duplicate = () => Object.assign(new Error('duplicate key'), { code: '23505' });

/** A call that fails with `error()` while `failing`, and counts how often it reached "the database". */
function database(error: () => Error) {
  const db = {
    failing: true,
    calls: 0,
    call: async () => {
      db.calls++;
      if (db.failing) throw error();
      return 'ok';
    },
  };
  return db;
}

describe('StoreGuard (circuit breaker around the database)', () => {
  it('opens after consecutive outage errors, then fails at once without touching the database', async () => {
    const guard = new StoreGuard(silentLogger, {
      failuresToOpen: 3,
      halfOpenAfterMs: { initial: 60_000, max: 60_000 },
    });
    const db = database(refused);
    for (let i = 0; i < 3; i++) await expect(guard.once(db.call)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(guard.state).toBe('open');
    await expect(guard.once(db.call)).rejects.toBeInstanceOf(BrokenCircuitError);
    await expect(guard.retrying(db.call)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(db.calls).toBe(3);
  });

  it('is not opened by errors that are the data’s, not the database’s being away', async () => {
    const guard = new StoreGuard(silentLogger, { failuresToOpen: 2 });
    const db = database(duplicate);
    for (let i = 0; i < 5; i++) await expect(guard.once(db.call)).rejects.toMatchObject({ code: '23505' });
    expect(guard.state).toBe('closed');
  });

  it('lets one call through after its backoff, and closes when the database answers it', async () => {
    const guard = new StoreGuard(silentLogger, { failuresToOpen: 1, halfOpenAfterMs: { initial: 50, max: 50 } });
    const db = database(refused);
    await expect(guard.once(db.call)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(guard.state).toBe('open');
    await sleep(80);
    // Still down: the test call fails and the breaker opens again.
    await expect(guard.once(db.call)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(guard.state).toBe('open');
    db.failing = false;
    await sleep(80);
    await expect(guard.once(db.call)).resolves.toBe('ok');
    expect(guard.state).toBe('closed');
  });

  it('fails the calls that come while its test call runs at once, instead of making them wait for it', async () => {
    const guard = new StoreGuard(silentLogger, { failuresToOpen: 1, halfOpenAfterMs: { initial: 50, max: 50 } });
    const db = database(refused);
    await expect(guard.once(db.call)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await sleep(80);
    // The test call: a database that does not answer (a black-holed host), until the test lets it.
    let answer = () => {};
    const settled: string[] = [];
    const probe = guard
      .once(() => new Promise<void>((resolve) => (answer = resolve)))
      .finally(() => settled.push('test call'));
    expect(guard.state).toBe('half-open');
    db.failing = false;
    const others = [guard.once(db.call), guard.retrying(db.call)].map((call) =>
      call.catch((err: unknown) => err).finally(() => settled.push('other call')),
    );
    await new Promise((resolve) => setImmediate(resolve));
    answer();
    await probe;
    expect(settled).toEqual(['other call', 'other call', 'test call']);
    for (const other of others) expect(await other).toBeInstanceOf(BrokenCircuitError);
    expect(db.calls).toBe(1);
    expect(guard.state).toBe('closed');
  });

  it('retries transient errors while closed, with the breaker counting each attempt', async () => {
    const guard = new StoreGuard(silentLogger, { retries: 2, failuresToOpen: 10 });
    const db = database(refused);
    await expect(guard.retrying(db.call)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(db.calls).toBe(3);
    db.failing = false;
    await expect(guard.retrying(db.call)).resolves.toBe('ok');
  });

  it('turns the open breaker into a 503 with Retry-After that names no address', () => {
    const err = unavailable(new BrokenCircuitError(), 'writing flows');
    expect(err).toMatchObject({
      statusCode: 503,
      code: 'FLOWS_ERR_STORE_UNAVAILABLE',
      headers: { 'retry-after': '2' },
    });
    expect(err.message).toContain('the database cannot be reached');
  });
});

/** A store whose database is not there (nothing listens on its port), with a breaker that opens after two failures. */
async function storeWithoutDatabase() {
  const pool = createPool({
    connectionString: `postgres://postgres:password@127.0.0.1:${await freePort()}/none`,
    max: 2,
    timeoutMs: 1000,
    onIdleError: () => {},
  });
  const connects = vi.spyOn(pool, 'connect');
  const store = new PostgresFlowStore({
    pool,
    log: silentLogger,
    retentionHours: 5,
    guard: { retries: 1, failuresToOpen: 2, halfOpenAfterMs: { initial: 60_000, max: 60_000 } },
  });
  // What GET /counts reads in persistent mode (open-postgres.ts).
  const history = new PgCountsHistory(pool, store.guard, silentLogger, 24);
  return { store, history, connects };
}

describe('the PostgreSQL store behind its breaker', () => {
  it('fails fast everywhere once it is open: batches checked by retention, range queries, GET /counts, readiness', async () => {
    const { store, history, connects } = await storeWithoutDatabase();
    // Two batches find the database away (their retention check cannot read the newest hour): it opens.
    for (let i = 0; i < 2; i++) {
      await expect(store.ingest([record()])).rejects.toMatchObject({ code: 'FLOWS_ERR_STORE_UNAVAILABLE' });
    }
    expect(store.guard.state).toBe('open');
    const reached = connects.mock.calls.length;
    const notNow = { statusCode: 503, message: expect.stringContaining('not trying again yet') };
    await expect(store.ingest([record()])).rejects.toMatchObject(notNow);
    await expect(store.hourSummaries(0, 1)).rejects.toMatchObject(notNow);
    await expect(
      store.topFlows({ from_hour: 0, to_hour: 1, by: ['src_app'], metric: 'bytes', limit: 10, filters: {} }),
    ).rejects.toMatchObject(notNow);
    await expect(history.between(0, 60_000)).rejects.toMatchObject(notNow);
    await expect(store.ping()).rejects.toMatchObject(notNow);
    // The background work waits too: keeping a published count, deleting expired rows and keys.
    await expect(history.record(countAt(T0))).rejects.toBeInstanceOf(BrokenCircuitError);
    await expect(store.retention?.purge()).rejects.toBeInstanceOf(BrokenCircuitError);
    await expect(store.idempotency.purgeExpired()).rejects.toBeInstanceOf(BrokenCircuitError);
    // None of them went near the database.
    expect(connects.mock.calls.length).toBe(reached);
    await store.close();
  });

  it('is opened by GET /counts and by the deletion of expired rows finding the database away', async () => {
    const { store, history } = await storeWithoutDatabase();
    await expect(history.between(0, 60_000)).rejects.toMatchObject({
      statusCode: 503,
      message:
        'the flow store is unavailable (the database cannot be reached while reading minute counts); retry later',
    });
    await expect(store.retention?.purge()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(store.guard.state).toBe('open');
    await store.close();
  });
});
