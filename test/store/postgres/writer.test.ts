import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeFlows, prepareBatch, type UpsertColumns } from '../../../src/store/postgres/batch.js';
import { ticketColumns } from '../../../src/store/postgres/idempotency-keys.js';
import { minuteColumns } from '../../../src/store/postgres/minute-rows.js';
import { createPool } from '../../../src/store/postgres/pool.js';
import { applySchema } from '../../../src/store/postgres/schema.js';
import { writeJob, writeOnce } from '../../../src/store/postgres/writer.js';
import { record } from '../../support/helper.js';
import { freshDatabase, query } from '../../support/pg-db.js';

describe('write transaction', () => {
  let url: string;
  let pool: ReturnType<typeof createPool>;

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
    const batch = prepareBatch([record({ bytes_tx: 7, bytes_rx: 9 })], 0);
    const job = writeJob(mergeFlows([batch]) as UpsertColumns, minuteColumns([batch]));
    await writeOnce(pool, job, 60_000, 'test');
    // What a retry does when the connection died after COMMIT was sent: the same job, the same marker.
    await writeOnce(pool, job, 60_000, 'test');
    expect(await query(url, 'SELECT bytes_tx, bytes_rx FROM flow_totals')).toEqual([{ bytes_tx: '7', bytes_rx: '9' }]);
    expect(await query(url, 'SELECT records FROM flow_minute_stats')).toEqual([{ records: '1' }]);
  });

  it('counts a retried job with an Idempotency-Key as applied, not as refused by its own key', async () => {
    const ticket = { key: '-:retried', bodyHash: 'h', expiresAt: Date.now() + 60_000 };
    const batch = prepareBatch([record({ hour: 2, bytes_tx: 5, bytes_rx: 5 })], 0, ticket);
    const job = writeJob(mergeFlows([batch]) as UpsertColumns, minuteColumns([batch]), ticketColumns([batch]));
    expect(await writeOnce(pool, job, 60_000, 'test')).toEqual([]);
    // The marker is checked before the key is claimed: the retry stops at the marker, as committed.
    expect(await writeOnce(pool, job, 60_000, 'test')).toEqual([]);
    // A new job with the same live key is refused, and applies nothing.
    const repeat = writeJob(mergeFlows([batch]) as UpsertColumns, minuteColumns([batch]), ticketColumns([batch]));
    expect(await writeOnce(pool, repeat, 60_000, 'test')).toEqual(['-:retried']);
    expect(await query(url, 'SELECT bytes_tx FROM flow_totals WHERE hour = 2')).toEqual([{ bytes_tx: '5' }]);
    expect(await query(url, 'SELECT accepted FROM flow_idempotency_keys')).toEqual([{ accepted: 1 }]);
  });
});
