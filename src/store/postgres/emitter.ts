import type pg from 'pg';
import type { Logger } from 'pino';
import type { MinuteCount } from '../../counts/minute-count.js';
import { type ClusterCountRow, clusterCount } from './cluster-count-row.js';
import { CLOSE_SQL, COUNTS_SQL, EMITTED_SQL, PRUNE_COMMITS_SQL, PRUNE_WINDOWS_SQL } from './count-statements.js';
import type { StoreGuard } from './guard.js';
import { EMITTER_LOCK, FENCE_LOCK } from './locks.js';
import { releasing } from './released-client.js';

export interface EmitterOptions {
  pool: pg.Pool;
  intervalMs: number;
  /** An instance not heard of for this long is taken for dead, and no longer waited for. */
  staleAfterMs: number;
  log: Logger;
  /**
   * Only connecting goes through the breaker: an emit waits its turn for the lock and publishes, and as
   * the breaker's test call it would hold it half-open (and refuse the counts history its own calls).
   */
  guard: StoreGuard;
}

// After a long stop of the whole cluster, the quiet windows in between get no zero counts past this many.
const MAX_ZERO_WINDOWS = 1000;

/**
 * Publishes, once for the whole cluster, every window up to `closing` that every live instance has
 * written its share of. Every instance calls it after writing its share; the emitter lock makes them take
 * turns, so the last one to write sees every share, and a window already published is not published
 * again. Windows are published before their rows are deleted: a crash in between publishes them again,
 * with the same key (the minute), which consumers drop as a repeat.
 */
export async function emitWindows(
  o: EmitterOptions,
  closing: number,
  publish: (count: MinuteCount) => Promise<void>,
): Promise<void> {
  const client = await o.guard.once(() => o.pool.connect());
  await releasing(client, async () => {
    await client.query('SELECT pg_advisory_lock($1)', [EMITTER_LOCK]);
    try {
      await emitLocked(client, o, closing, publish);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [EMITTER_LOCK]);
    }
  });
}

async function emitLocked(
  client: pg.PoolClient,
  o: EmitterOptions,
  closing: number,
  publish: (count: MinuteCount) => Promise<void>,
): Promise<void> {
  await client.query('BEGIN');
  // Exclusive: waits for shares being written; a share written after this is filed under a later window.
  await client.query('SELECT pg_advisory_xact_lock($1)', [FENCE_LOCK]);
  const { rows } = await client.query<{ ready: string; emitted: string; gone: number }>(CLOSE_SQL, [
    closing,
    o.staleAfterMs,
  ]);
  await client.query('COMMIT');
  const { gone } = rows[0];
  if (gone > 0) o.log.warn({ gone }, 'instances gone without leaving are no longer waited for; their share is lost');
  // Both set since the first instance joined (count-statements.ts JOIN_SQL).
  const ready = Number(rows[0].ready);
  const emitted = Number(rows[0].emitted);
  if (ready <= emitted) return;
  const first = Math.max(emitted + o.intervalMs, ready - (MAX_ZERO_WINDOWS - 1) * o.intervalMs);
  const counts = await client.query<ClusterCountRow>(COUNTS_SQL, [first, ready, o.intervalMs, emitted]);
  for (const row of counts.rows) await publish(clusterCount(row));
  await client.query('BEGIN');
  for (const sql of PRUNE_WINDOWS_SQL) await client.query(sql, [ready]);
  await client.query(PRUNE_COMMITS_SQL);
  await client.query(EMITTED_SQL, [ready]);
  await client.query('COMMIT');
  o.log.debug({ windows: counts.rows.length, ready }, 'counted windows for the cluster');
}
