import type pg from 'pg';
import type { Logger } from 'pino';
import type { MinuteCount } from '../../counts/minute-count.js';
import { parseExact } from '../../queries/exact-integer.js';
import type { ClosingWindow, WindowCounter } from '../../window/window-counter.js';
import { EMITTER_LOCK, FENCE_LOCK } from './locks.js';

interface StatRow {
  minute: string;
  unique_flows: string;
  records: string;
  bytes_tx: string;
  bytes_rx: string;
}

// Windows to count: every window with rows up to the one just closed, and that one even when empty.
const COUNTS_SQL = `
SELECT w.minute::text,
  (SELECT count(*) FROM flow_minute_keys k WHERE k.minute = w.minute)::text AS unique_flows,
  coalesce(sum(s.records), 0)::text AS records,
  coalesce(sum(s.bytes_tx), 0)::text AS bytes_tx,
  coalesce(sum(s.bytes_rx), 0)::text AS bytes_rx
FROM (SELECT DISTINCT minute FROM flow_minute_stats WHERE minute <= $1 AND minute > $2
      UNION SELECT $1::bigint) w
LEFT JOIN flow_minute_stats s ON s.minute = w.minute
WHERE w.minute > $2
GROUP BY w.minute ORDER BY w.minute`;

/**
 * Minute counts for a cluster of instances sharing one database. Writers file each batch's keys under
 * its window in the same transaction as its totals. At each boundary every instance tries a
 * session advisory lock; the one that gets it closes the window (waiting for in-flight writers, which
 * hold the fence lock shared), counts what every instance wrote, and prunes the counted rows. The
 * others return nothing, so each window is published once for the whole cluster. A published window
 * is remembered in `flow_count_state`; after a crash between publish and prune it is published again
 * with the same key (the minute), which consumers drop as a repeat.
 */
export class ClusterWindowCounter implements WindowCounter {
  readonly #pool: pg.Pool;
  readonly #intervalMs: number;
  readonly #log: Logger;
  // One rotation after another, even when one outlasts a short window.
  #counting: Promise<unknown> = Promise.resolve();

  constructor(pool: pg.Pool, intervalMs: number, log: Logger) {
    this.#pool = pool;
    this.#intervalMs = intervalMs;
    this.#log = log;
  }

  rotate({ end, partial }: ClosingWindow, publish: (count: MinuteCount) => Promise<void>): Promise<void> {
    // At shutdown the open window stays in the database: another instance (or the next start) counts it.
    if (partial) return this.#counting.then(() => {});
    const closing = Math.floor(end / this.#intervalMs) * this.#intervalMs - this.#intervalMs;
    const counted = this.#counting.then(() => this.#countAsEmitter(closing, publish));
    this.#counting = counted.catch(() => {});
    return counted;
  }

  async #countAsEmitter(closing: number, publish: (count: MinuteCount) => Promise<void>): Promise<void> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [EMITTER_LOCK]);
      if (!rows[0].got) return;
      try {
        await this.#countThrough(client, closing, publish);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [EMITTER_LOCK]);
      }
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async #countThrough(
    client: pg.PoolClient,
    closing: number,
    publish: (count: MinuteCount) => Promise<void>,
  ): Promise<void> {
    await client.query('BEGIN');
    // Exclusive: waits for writers still committing into this window; later writers see it closed.
    await client.query('SELECT pg_advisory_xact_lock($1)', [FENCE_LOCK]);
    const { rows: state } = await client.query<{ emitted: string | null }>(
      `UPDATE flow_count_state SET closed_through = greatest(closed_through, $1)
       WHERE id RETURNING emitted_through::text AS emitted`,
      [closing],
    );
    await client.query('COMMIT');
    const emitted = state[0].emitted === null ? Number.MIN_SAFE_INTEGER : Number(state[0].emitted);
    if (closing <= emitted) return;
    const { rows } = await client.query<StatRow>(COUNTS_SQL, [closing, emitted]);
    const counts = rows.map((r) => ({
      minute: new Date(Number(r.minute)).toISOString(),
      unique_flows: Number(r.unique_flows),
      records: Number(r.records),
      // Exact: the sums are NUMERIC, and pass 2^53-1 with a few large flows.
      bytes_tx: parseExact(r.bytes_tx),
      bytes_rx: parseExact(r.bytes_rx),
    }));
    // Published before pruning: a crash in between publishes the window again, never loses it.
    for (const count of counts) await publish(count);
    await client.query('BEGIN');
    await client.query('DELETE FROM flow_minute_keys WHERE minute <= $1', [closing]);
    await client.query('DELETE FROM flow_minute_stats WHERE minute <= $1', [closing]);
    await client.query(`DELETE FROM flow_commits WHERE created_at < now() - interval '1 hour'`);
    await client.query('UPDATE flow_count_state SET emitted_through = $1 WHERE id', [closing]);
    await client.query('COMMIT');
    this.#log.debug({ windows: counts.length, closing }, 'counted windows for the cluster');
  }
}
