import type pg from 'pg';
import type { Logger } from 'pino';
import { type CountsHistory, type KeptCount, MAX_KEPT_COUNTS } from '../../counts/counts-history.js';
import type { MinuteCount } from '../../counts/minute-count.js';
import { type ClusterCountRow, clusterCount } from './cluster-count-row.js';
import { unavailable } from './errors.js';
import { type StoreGuard, warnUnlessRefused } from './guard.js';

// The prune rides along with the insert: one round trip, and the table never holds more than the retention.
const RECORD_SQL = `
WITH pruned AS (DELETE FROM flow_minute_counts WHERE minute < $1::bigint - $7::bigint)
INSERT INTO flow_minute_counts (minute, unique_flows, records, bytes_tx, bytes_rx, partial)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (minute) DO UPDATE SET unique_flows = EXCLUDED.unique_flows, records = EXCLUDED.records,
  bytes_tx = EXCLUDED.bytes_tx, bytes_rx = EXCLUDED.bytes_rx, partial = EXCLUDED.partial`;

const BETWEEN_SQL = `
SELECT minute::text, unique_flows::text, records::text, bytes_tx::text, bytes_rx::text, partial
FROM (SELECT * FROM flow_minute_counts WHERE minute >= $1 AND minute < $2 ORDER BY minute DESC LIMIT $3) newest
ORDER BY minute`;

interface CountRow extends ClusterCountRow {
  partial: boolean;
}

/**
 * The persistent mode's count history: the table `flow_minute_counts`, written by whichever instance
 * publishes a window (the one whose turn at the emitter lock closes it), so it holds the cluster's count
 * once per window. Byte sums go in and come out as decimal text: exact past 2^53-1. Every call goes through
 * the store's circuit breaker: while the database is away, a 503 at once.
 */
export class PgCountsHistory implements CountsHistory {
  readonly #pool: pg.Pool;
  readonly #guard: StoreGuard;
  readonly #log: Logger;
  readonly #retentionMs: number;

  constructor(pool: pg.Pool, guard: StoreGuard, log: Logger, retentionHours: number) {
    this.#pool = pool;
    this.#guard = guard;
    this.#log = log;
    this.#retentionMs = retentionHours * 3_600_000;
  }

  async record(count: MinuteCount): Promise<void> {
    const values = [
      Date.parse(count.minute),
      count.unique_flows,
      count.records,
      String(count.bytes_tx),
      String(count.bytes_rx),
      count.partial === true,
      this.#retentionMs,
    ];
    // A failure is the publisher's to log (recording-sink.ts): the count is published all the same.
    await this.#guard.once(() => this.#pool.query(RECORD_SQL, values));
  }

  async between(since: number, until: number): Promise<KeptCount[]> {
    let rows: CountRow[];
    try {
      ({ rows } = await this.#guard.once(() =>
        this.#pool.query<CountRow>(BETWEEN_SQL, [since, until, MAX_KEPT_COUNTS]),
      ));
    } catch (err) {
      warnUnlessRefused(this.#log, err, 'database query failed while reading minute counts');
      throw unavailable(err, 'reading minute counts');
    }
    // Every row is a window published once for the whole cluster (emitter.ts).
    return rows.map((r) => ({ ...clusterCount(r), ...(r.partial ? { partial: true as const } : {}) }));
  }
}
