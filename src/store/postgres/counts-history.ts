import type pg from 'pg';
import { type CountsHistory, type KeptCount, MAX_KEPT_COUNTS } from '../../counts/counts-history.js';
import type { MinuteCount } from '../../counts/minute-count.js';
import { parseExact } from '../../queries/exact-integer.js';
import { unavailable } from './errors.js';

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

interface CountRow {
  minute: string;
  unique_flows: string;
  records: string;
  bytes_tx: string;
  bytes_rx: string;
  partial: boolean;
}

/**
 * The persistent mode's count history: the table `flow_minute_counts`, written by whichever instance
 * publishes a window (the cluster counter's elected emitter), so it holds the cluster's count once
 * per window. Byte sums go in and come out as decimal text: exact past 2^53-1.
 */
export class PgCountsHistory implements CountsHistory {
  readonly #pool: pg.Pool;
  readonly #retentionMs: number;

  constructor(pool: pg.Pool, retentionHours: number) {
    this.#pool = pool;
    this.#retentionMs = retentionHours * 3_600_000;
  }

  async record(count: MinuteCount): Promise<void> {
    await this.#pool.query(RECORD_SQL, [
      Date.parse(count.minute),
      count.unique_flows,
      count.records,
      String(count.bytes_tx),
      String(count.bytes_rx),
      count.partial === true,
      this.#retentionMs,
    ]);
  }

  async between(since: number, until: number): Promise<KeptCount[]> {
    try {
      const { rows } = await this.#pool.query<CountRow>(BETWEEN_SQL, [since, until, MAX_KEPT_COUNTS]);
      return rows.map((r) => ({
        minute: new Date(Number(r.minute)).toISOString(),
        unique_flows: Number(r.unique_flows),
        records: Number(r.records),
        bytes_tx: parseExact(r.bytes_tx),
        bytes_rx: parseExact(r.bytes_rx),
        ...(r.partial ? { partial: true as const } : {}),
        // Every row is a window published once for the whole cluster (emitter.ts).
        scope: 'cluster' as const,
      }));
    } catch (err) {
      throw unavailable(err, 'reading minute counts');
    }
  }
}
