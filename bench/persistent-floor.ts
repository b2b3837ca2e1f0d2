import pg from 'pg';
import type { Workload } from './persistent-workload.js';

// What a careful client does with the same rows: one set-based upsert per batch, rows in key order, each
// statement its own durable commit (synchronous_commit as the server has it, `on` by default).
const UPSERT_SQL = `
INSERT INTO floor_totals AS t (hour, src_app, dest_app, vpc_id, bytes_tx, bytes_rx)
SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
ON CONFLICT (hour, src_app, dest_app, vpc_id)
DO UPDATE SET bytes_tx = t.bytes_tx + EXCLUDED.bytes_tx, bytes_rx = t.bytes_rx + EXCLUDED.bytes_rx`;

/**
 * The floor: `requests` batches of the workload upserted from `connections` connections into a table
 * shaped like flow_totals (same key, same CHECKs), starting empty. Resolves with rows (= records) a second.
 */
export async function setBasedUpserts(url: string, w: Workload, requests: number, connections: number) {
  const pool = new pg.Pool({ connectionString: url, max: connections });
  try {
    // The service's table to the last detail: key, CHECKs, and storage parameters (LIKE leaves those out).
    await pool.query('DROP TABLE IF EXISTS floor_totals');
    await pool.query('CREATE TABLE floor_totals (LIKE flow_totals INCLUDING ALL)');
    const { rows: table } = await pool.query<{ options: string[] | null }>(
      `SELECT reloptions AS options FROM pg_class WHERE oid = 'flow_totals'::regclass`,
    );
    if (table[0].options) await pool.query(`ALTER TABLE floor_totals SET (${table[0].options.join(', ')})`);
    let next = 0;
    let rows = 0;
    const worker = async () => {
      const client = await pool.connect();
      try {
        for (let k = next++; k < requests; k = next++) {
          const c = w.columns[k % w.columns.length];
          await client.query(UPSERT_SQL, [c.hour, c.src, c.dest, c.vpc, c.tx, c.rx]);
          rows += c.hour.length;
        }
      } finally {
        client.release();
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: connections }, worker));
    const seconds = (performance.now() - started) / 1000;
    return rows / seconds;
  } finally {
    await pool.end();
  }
}
