import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeFlows, prepareBatch, type UpsertColumns } from '../../src/store/pg-batch.js';
import { minuteColumns } from '../../src/store/pg-minute-rows.js';
import { applySchema, createPool } from '../../src/store/pg-pool.js';
import { writeJob, writeOnce } from '../../src/store/pg-writer.js';
import { record } from '../helpers.js';
import { freshDatabase, query } from '../support/pg-db.js';

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
});
