import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRecord, FlowTotal } from '../../../src/schemas/flow.js';
import { MAX_TOTAL } from '../../../src/schemas/flow.js';
import type { CommitStats } from '../../../src/store/flow-store.js';
import { record } from '../../support/helper.js';
import { waitFor } from '../../support/load.js';
import { type PgAppOptions, pgApp } from '../../support/pg-app.js';
import { freshDatabase, query } from '../../support/pg-db.js';

type Instance = Awaited<ReturnType<typeof pgApp>>;
let url: string;
const open: Instance[] = [];

beforeAll(async () => {
  url = await freshDatabase();
});
afterAll(async () => {
  await Promise.all(open.map((i) => i.app.close()));
});

async function instance(options: PgAppOptions = {}): Promise<Instance> {
  const created = await pgApp(url, options);
  open.push(created);
  return created;
}

const post = (i: Instance, key: string, body: unknown) =>
  i.app.inject({ method: 'POST', url: '/flows', payload: body as object, headers: { 'idempotency-key': key } });
const hour = async (i: Instance, n: number) =>
  (await i.app.inject({ method: 'GET', url: `/flows?hour=${n}` })).json<FlowTotal[]>();
const keyRow = async (key: string) =>
  query<{ body_hash: string; accepted: number; live: boolean }>(
    url,
    'SELECT body_hash, accepted, expires_at > now() AS live FROM flow_idempotency_keys WHERE key = $1',
    [`-:${key}`],
  );
// Backends of this database waiting for a lock: how a test knows a transaction is parked where it wants it.
const lockWaiters = async () =>
  Number(
    (
      await query<{ n: string }>(
        url,
        `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      )
    )[0].n,
  );
const hashOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');
const batchAt = (h: number, n = 2): FlowRecord[] =>
  Array.from({ length: n }, (_, i) => record({ hour: h, bytes_tx: 10 + i, bytes_rx: 1 }));
const once = (h: number, n = 2) => [
  { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', hour: h, bytes_tx: (n * (19 + n)) / 2, bytes_rx: n },
];

describe('Idempotency-Key in persistent mode', () => {
  it('answers a repeat with the original response and applies the batch once', async () => {
    const a = await instance();
    const first = await post(a, 'repeat', batchAt(1));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ accepted: 2 });
    const again = await post(a, 'repeat', batchAt(1));
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await hour(a, 1)).toEqual(once(1));
    expect(await keyRow('repeat')).toEqual([{ body_hash: hashOf(batchAt(1)), accepted: 2, live: true }]);
  });

  it('refuses the same key with a different body (422) and applies nothing of it', async () => {
    const a = await instance();
    expect((await post(a, 'other-body', batchAt(2))).statusCode).toBe(200);
    const other = await post(a, 'other-body', batchAt(2, 3));
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('FLOWS_ERR_IDEMPOTENCY_MISMATCH');
    expect(await hour(a, 2)).toEqual(once(2));
  });

  it('records the key of an empty batch too, so it cannot be reused for another body', async () => {
    const a = await instance();
    expect((await post(a, 'empty', [])).json()).toEqual({ accepted: 0 });
    expect((await post(a, 'empty', [])).headers['idempotent-replayed']).toBe('true');
    expect((await post(a, 'empty', batchAt(3))).statusCode).toBe(422);
    expect(await hour(a, 3)).toEqual([]);
  });

  it('keeps no key for a batch that failed', async () => {
    const a = await instance();
    expect((await post(a, 'fails', [record({ hour: 4, bytes_tx: MAX_TOTAL })])).statusCode).toBe(200);
    const overflow = await post(a, 'fails-too', [record({ hour: 4, bytes_tx: 1 })]);
    expect(overflow.statusCode).toBe(422);
    expect(await keyRow('fails-too')).toEqual([]);
  });

  it('applies concurrent repeats on one instance once; the others get the original response', async () => {
    const a = await instance();
    const results = await Promise.all(Array.from({ length: 8 }, () => post(a, 'same-instance', batchAt(5))));
    for (const r of results) expect([200, 409]).toContain(r.statusCode);
    const applied = results.filter((r) => r.statusCode === 200 && !r.headers['idempotent-replayed']);
    expect(applied).toHaveLength(1);
    expect(await hour(a, 5)).toEqual(once(5));
  });

  it('applies concurrent repeats across two instances on one database once', async () => {
    const [a, b] = [await instance(), await instance()];
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => post(i % 2 === 0 ? a : b, 'two-instances', batchAt(6))),
    );
    for (const r of results) expect([200, 409]).toContain(r.statusCode);
    const applied = results.filter((r) => r.statusCode === 200 && !r.headers['idempotent-replayed']);
    expect(applied).toHaveLength(1);
    for (const i of [a, b]) {
      const retry = await post(i, 'two-instances', batchAt(6));
      expect(retry.statusCode).toBe(200);
      expect(retry.headers['idempotent-replayed']).toBe('true');
    }
    expect(await hour(a, 6)).toEqual(once(6));
  });

  it('refuses a repeat racing its original on another instance with 409; its retry gets the response', async () => {
    // Long timeouts: the test parks transactions on locks for as long as it needs.
    const [a, b] = [await instance({ timeoutMs: 30_000 }), await instance({ timeoutMs: 30_000 })];
    await post(a, 'seed-7', [record({ hour: 7, bytes_tx: 0, bytes_rx: 0 })]);
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT * FROM flow_totals WHERE hour = 7 FOR UPDATE');
    // A claims the key, then waits on the blocked row with its transaction open.
    const first = post(a, 'race', batchAt(7));
    await waitFor(async () => (await lockWaiters()) >= 1);
    // B finds no committed key, and its claim waits for A's transaction to end.
    const raced = post(b, 'race', batchAt(7));
    await waitFor(async () => (await lockWaiters()) >= 2);
    await blocker.query('COMMIT');
    await blocker.end();
    expect((await first).statusCode).toBe(200);
    const refused = await raced;
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('FLOWS_ERR_IDEMPOTENCY_IN_FLIGHT');
    const retry = await post(b, 'race', batchAt(7));
    expect(retry.json()).toEqual({ accepted: 2 });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await hour(a, 7)).toEqual(once(7));
  });

  it('holds a key across a restart (a new store instance on the same database)', async () => {
    const before = await instance();
    expect((await post(before, 'restart', batchAt(8))).statusCode).toBe(200);
    await before.app.close();
    const after = await instance();
    const repeat = await post(after, 'restart', batchAt(8));
    expect(repeat.json()).toEqual({ accepted: 2 });
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect((await post(after, 'restart', batchAt(8, 1))).statusCode).toBe(422);
    expect(await hour(after, 8)).toEqual(once(8));
  });

  it('refuses only the batch whose key is live elsewhere; the rest of its group commit is applied', async () => {
    const { store } = await instance({ timeoutMs: 30_000 });
    const commits: CommitStats[] = [];
    store.observeCommits((c) => commits.push(c));
    // Another instance's transaction holding the key, not yet committed.
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO flow_idempotency_keys VALUES ('-:grouped', 'elsewhere', 1, now() + interval '1 hour')`,
    );
    const ticket = (key: string) => ({ idempotency: { key, bodyHash: 'h', expiresAt: Date.now() + 60_000 } });
    const one = (src_app: string) => [record({ hour: 9, src_app, bytes_tx: 1, bytes_rx: 1 })];
    // Submitted in one event-loop turn: one group, one transaction.
    // Its outcome is caught at once: it is refused before the test gets to look at it.
    const conflicting = store.ingest(one('conflicting'), ticket('-:grouped')).then(
      () => 'applied',
      (err: unknown) => err,
    );
    const others = Array.from({ length: 10 }, (_, i) =>
      store.ingest(one(`other${i}`), i % 2 === 0 ? ticket(`-:grouped-${i}`) : undefined),
    );
    await waitFor(async () => (await lockWaiters()) >= 1);
    await blocker.query('COMMIT');
    await blocker.end();
    expect(await conflicting).toMatchObject({ statusCode: 409, code: 'FLOWS_ERR_IDEMPOTENCY_IN_FLIGHT' });
    await Promise.all(others);
    expect(commits).toEqual([expect.objectContaining({ batches: 10, records: 10 })]);
    const flows = await store.flowsForHour(9);
    expect(flows.map((f) => f.src_app).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `other${i}`).sort());
    const keys = await query<{ key: string }>(
      url,
      `SELECT key FROM flow_idempotency_keys WHERE key LIKE '-:grouped-%'`,
    );
    expect(keys).toHaveLength(5);
  });

  it('lets an expired key be used again, and purges expired keys in the background', async () => {
    // A TTL in the past: every key this instance records is expired as soon as it is committed.
    const expiring = await instance({ config: { IDEMPOTENCY_TTL_MS: -60_000 } });
    const normal = await instance();
    expect((await post(expiring, 'expired', batchAt(10))).statusCode).toBe(200);
    expect(await keyRow('expired')).toEqual([{ body_hash: hashOf(batchAt(10)), accepted: 2, live: false }]);
    // Not a repeat any more: a different body is applied, not refused, and takes the key over.
    const reused = await post(normal, 'expired', batchAt(10, 1));
    expect(reused.statusCode).toBe(200);
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
    expect((await post(normal, 'expired', batchAt(10, 1))).headers['idempotent-replayed']).toBe('true');
    expect(await keyRow('expired')).toEqual([{ body_hash: hashOf(batchAt(10, 1)), accepted: 1, live: true }]);
    expect((await hour(normal, 10))[0].bytes_tx).toBe(10 + 11 + 10);

    const purging = await instance({ config: { IDEMPOTENCY_TTL_MS: -60_000 }, idempotencyPurgeMs: 20 });
    expect((await post(purging, 'purged', batchAt(11))).statusCode).toBe(200);
    await waitFor(async () => (await keyRow('purged')).length === 0);
    expect(await keyRow('expired')).toHaveLength(1);
  });
});
