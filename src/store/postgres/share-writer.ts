import type pg from 'pg';
import { compareFlows, type FlowDelta } from './batch.js';
import { SHARE_KEYS_SQL, SHARE_STATS_SQL } from './count-statements.js';
import { FENCE_LOCK } from './locks.js';
import { releasing } from './released-client.js';
import type { ShareSet } from './window-share.js';

/** Keys per statement, so that a large share never becomes one huge parameter array. */
const KEYS_PER_STATEMENT = 20_000;

export interface ShareTarget {
  pool: pg.Pool;
  instance: string;
  intervalMs: number;
}

/**
 * Writes this instance's share of window `minute` in one transaction: its distinct keys and, for the
 * share of a closed window (`stats`), its records and bytes and that this instance has written through
 * `minute`. The fence is held shared, so the emitter never counts a window while a share of it is half
 * written; a share of a window it has already closed is filed under the next open one.
 */
export async function writeShare(
  target: ShareTarget,
  minute: number,
  keys: Iterable<FlowDelta>,
  stats?: ShareSet,
): Promise<void> {
  const client = await target.pool.connect();
  // A failed transaction's connection is closed, which rolls it back.
  await releasing(client, async () => {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock_shared($1)', [FENCE_LOCK]);
    const sorted = [...keys].sort(compareFlows);
    for (let at = 0; at < sorted.length; at += KEYS_PER_STATEMENT) {
      const chunk = sorted.slice(at, at + KEYS_PER_STATEMENT);
      await client.query(SHARE_KEYS_SQL, [
        minute,
        target.intervalMs,
        chunk.map((f) => f.hour),
        chunk.map((f) => f.src_app),
        chunk.map((f) => f.dest_app),
        chunk.map((f) => f.vpc_id),
      ]);
    }
    if (stats) {
      await client.query(SHARE_STATS_SQL, [
        minute,
        target.intervalMs,
        target.instance,
        stats.records,
        // Decimal text, as PostgreSQL takes a NUMERIC parameter.
        String(stats.tx.value),
        String(stats.rx.value),
      ]);
    }
    await client.query('COMMIT');
  });
}
