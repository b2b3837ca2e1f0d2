import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { SCHEMA_LOCK } from './locks.js';

// Beside this module in src/ (tsx, vitest) and in dist/ (npm run build copies it), so it is found from both.
const SCHEMA_FILE = new URL('./schema.sql', import.meta.url);

/** Applies schema.sql; idempotent, and safe when several instances start at once. */
export async function applySchema(pool: pg.Pool): Promise<void> {
  const sql = await readFile(SCHEMA_FILE, 'utf8');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await client.query(sql);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
