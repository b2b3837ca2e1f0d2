import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeFlows, prepareBatch, type UpsertColumns } from '../../../src/store/postgres/batch.js';
import { ticketColumns } from '../../../src/store/postgres/idempotency-keys.js';
import { createPool } from '../../../src/store/postgres/pool.js';
import { applySchema } from '../../../src/store/postgres/schema.js';
import { writeJob, writeOnce } from '../../../src/store/postgres/writer.js';
import { record } from '../../support/helper.js';
import { freshDatabase, query } from '../../support/pg-db.js';

describe('write transaction', () => {
  let url: string;
  let pool: ReturnType<typeof createPool>;
  const shards = () => query(url, 'SELECT shard, flows FROM flow_count_shards WHERE flows <> 0 ORDER BY shard');

  beforeAll(async () => {
    url = await freshDatabase();
    pool = createPool({ connectionString: url, max: 2, timeoutMs: 5000, onIdleError: () => {} });
    await applySchema(pool);
    await applySchema(pool); // idempotent
  });
  afterAll(async () => {
    await pool?.end();
  });

  it('applies a job once even when it is attempted again after it committed', async () => {
    const batch = prepareBatch([record({ bytes_tx: 7, bytes_rx: 9 })]);
    const job = writeJob(mergeFlows([batch]) as UpsertColumns);
    await writeOnce(pool, job, 3);
    // What a retry does when the connection died after the statement was sent: the same job, the same marker.
    await writeOnce(pool, job, 3);
    expect(await query(url, 'SELECT bytes_tx, bytes_rx FROM flow_totals')).toEqual([{ bytes_tx: '7', bytes_rx: '9' }]);
    expect(await shards()).toEqual([{ shard: 3, flows: '1' }]);
  });

  it('passes every name through its array literal exactly as it is', async () => {
    const names = ['NULL', 'null', '{a,b}', ' spaced ', '"', '\\', 'a"b\\c', '\\"', ',', "'", 'é😀', '\t\n'];
    const batch = prepareBatch(names.map((src_app, i) => record({ hour: 9, src_app, dest_app: src_app, bytes_tx: i })));
    await writeOnce(pool, writeJob(mergeFlows([batch]) as UpsertColumns), 1);
    const rows = await query<{ src_app: string; dest_app: string; bytes_tx: string }>(
      url,
      'SELECT src_app, dest_app, bytes_tx FROM flow_totals WHERE hour = 9',
    );
    expect(rows.map((r) => [r.src_app, r.dest_app, Number(r.bytes_tx)]).sort()).toEqual(
      names.map((name, i) => [name, name, i]).sort(),
    );
  });

  it('adds to the flow count only the flows a job created, not those it updated', async () => {
    const batch = prepareBatch([record({ bytes_tx: 1 }), record({ src_app: 'new-1' }), record({ src_app: 'new-2' })]);
    await writeOnce(pool, writeJob(mergeFlows([batch]) as UpsertColumns), 5);
    expect(await shards()).toEqual([
      { shard: 1, flows: '12' },
      { shard: 3, flows: '1' },
      { shard: 5, flows: '2' },
    ]);
    const { n } = (await query<{ n: string }>(url, 'SELECT count(*) AS n FROM flow_totals'))[0];
    expect(n).toBe('15');
  });

  it('counts a retried job with an Idempotency-Key as applied, not as refused by its own key', async () => {
    const ticket = { key: '-:retried', bodyHash: 'h', expiresAt: Date.now() + 60_000 };
    const batch = prepareBatch([record({ hour: 2, bytes_tx: 5, bytes_rx: 5 })], ticket);
    const job = writeJob(mergeFlows([batch]) as UpsertColumns, ticketColumns([batch]));
    expect(await writeOnce(pool, job, 0)).toEqual([]);
    // The marker is checked before the key is claimed: the retry stops at the marker, as committed.
    expect(await writeOnce(pool, job, 0)).toEqual([]);
    // A new job with the same live key is refused, and applies nothing.
    const repeat = writeJob(mergeFlows([batch]) as UpsertColumns, ticketColumns([batch]));
    expect(await writeOnce(pool, repeat, 0)).toEqual(['-:retried']);
    expect(await query(url, 'SELECT bytes_tx FROM flow_totals WHERE hour = 2')).toEqual([{ bytes_tx: '5' }]);
    expect(await query(url, 'SELECT accepted FROM flow_idempotency_keys')).toEqual([{ accepted: 1 }]);
  });

  it('fails on the duplicate commit marker before it could fail on a total', async () => {
    // A retry of a committed job that would now overflow must still be recognised as committed.
    const batch = prepareBatch([record({ hour: 3, bytes_tx: 2 ** 52 + 1 })]);
    const job = writeJob(mergeFlows([batch]) as UpsertColumns);
    expect(await writeOnce(pool, job, 0)).toEqual([]);
    expect(await writeOnce(pool, job, 0)).toEqual([]);
    expect(await query(url, 'SELECT bytes_tx FROM flow_totals WHERE hour = 3')).toEqual([
      { bytes_tx: String(2 ** 52 + 1) },
    ]);
  });
});
