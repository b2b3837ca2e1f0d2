import { setTimeout as sleep } from 'node:timers/promises';
import { BrokenCircuitError } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { unavailable } from '../../../src/store/postgres/errors.js';
import { StoreGuard } from '../../../src/store/postgres/guard.js';
import { silentLogger } from '../../support/helper.js';

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
