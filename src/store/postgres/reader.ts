import type pg from 'pg';
import Cursor from 'pg-cursor';
import type { FlowTotal } from '../../schemas/flow.js';
import { types } from './pool.js';

const HOUR_SQL = `
SELECT src_app, dest_app, vpc_id, hour, bytes_tx, bytes_rx
FROM flow_totals WHERE hour = $1
ORDER BY hour, src_app, dest_app, vpc_id`;

/**
 * The flows of one hour, page by page, from one REPEATABLE READ snapshot: a reader sees each write
 * transaction (so each batch) entirely or not at all, however long it takes to read the pages.
 * The first page is read before returning, so a database failure surfaces before any byte is sent.
 */
export async function readHour(pool: pg.Pool, hour: number, pageSize: number): Promise<AsyncGenerator<FlowTotal[]>> {
  const client = await pool.connect();
  let cursor: Cursor<FlowTotal> | undefined;
  let first: FlowTotal[];
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    cursor = client.query(new Cursor<FlowTotal>(HOUR_SQL, [hour], { types }));
    first = await cursor.read(pageSize);
  } catch (err) {
    await finish(client, cursor, err as Error);
    throw err;
  }
  return pages(client, cursor, first, pageSize);
}

async function* pages(
  client: pg.PoolClient,
  cursor: Cursor<FlowTotal>,
  first: FlowTotal[],
  pageSize: number,
): AsyncGenerator<FlowTotal[]> {
  let failure: Error | undefined;
  try {
    let page = first;
    while (page.length > 0) {
      yield page;
      if (page.length < pageSize) break;
      page = await cursor.read(pageSize);
    }
  } catch (err) {
    failure = err as Error;
    throw err;
  } finally {
    // Also runs when the HTTP client goes away mid-response and the stream is destroyed.
    await finish(client, cursor, failure);
  }
}

async function finish(client: pg.PoolClient, cursor: Cursor<FlowTotal> | undefined, failure?: Error): Promise<void> {
  let broken = failure;
  try {
    await cursor?.close();
    await client.query('ROLLBACK');
    broken = undefined;
  } catch (err) {
    broken ??= err as Error;
  }
  client.release(broken);
}
