import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { totalOverflow } from '../../errors.js';
import { MAX_TOTAL } from '../../schemas/flow.js';
import type { UpsertColumns } from './batch.js';
import { sqlState } from './errors.js';
import { claimKeys, type TicketColumns } from './idempotency-keys.js';
import { FENCE_LOCK } from './locks.js';
import type { MinuteColumns } from './minute-rows.js';

// The commit marker comes first, before the Idempotency-Keys are claimed: a retry of a job whose first
// attempt committed must stop at the duplicate marker, not be refused by the keys that attempt wrote.
const START_SQL = `
WITH marker AS (INSERT INTO flow_commits (id) VALUES ($2))
SELECT pg_advisory_xact_lock_shared($1)`;

// One statement, so one round trip: the totals, and the minute keys and stats. The
// totals rows arrive in the caller's key order; minute keys are ordered here, for the same reason: two
// transactions locking the same rows in the same order wait for each other instead of deadlocking.
// A window already closed by the emitter (a batch that arrived just before the boundary but commits
// after the count) is moved to the next open window, so every record is counted exactly once.
const WRITE_SQL = `
WITH fence AS (
  SELECT closed_through FROM flow_count_state WHERE id
), totals AS (
  INSERT INTO flow_totals AS t (hour, src_app, dest_app, vpc_id, bytes_tx, bytes_rx)
  SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
  ON CONFLICT (hour, src_app, dest_app, vpc_id)
  DO UPDATE SET bytes_tx = t.bytes_tx + EXCLUDED.bytes_tx, bytes_rx = t.bytes_rx + EXCLUDED.bytes_rx
), minute_keys AS (
  INSERT INTO flow_minute_keys (minute, hour, src_app, dest_app, vpc_id)
  SELECT DISTINCT greatest(k.minute, f.closed_through + $7), k.hour, k.src_app, k.dest_app, k.vpc_id
  FROM unnest($8::bigint[], $9::int[], $10::text[], $11::text[], $12::text[])
    AS k(minute, hour, src_app, dest_app, vpc_id)
  LEFT JOIN fence f ON true
  ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT DO NOTHING
), minute_stats AS (
  INSERT INTO flow_minute_stats AS s (minute, instance, records, bytes_tx, bytes_rx)
  SELECT greatest(m.minute, f.closed_through + $7), $13, sum(m.records), sum(m.tx), sum(m.rx)
  FROM unnest($14::bigint[], $15::bigint[], $16::numeric[], $17::numeric[]) AS m(minute, records, tx, rx)
  LEFT JOIN fence f ON true
  GROUP BY 1
  ON CONFLICT (minute, instance) DO UPDATE
  SET records = s.records + EXCLUDED.records, bytes_tx = s.bytes_tx + EXCLUDED.bytes_tx,
      bytes_rx = s.bytes_rx + EXCLUDED.bytes_rx
)
SELECT 1`;

const OVERFLOWING_FLOW_SQL = `
SELECT u.hour, u.src_app, u.dest_app, u.vpc_id
FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
  AS u(hour, src_app, dest_app, vpc_id, tx, rx)
JOIN flow_totals t USING (hour, src_app, dest_app, vpc_id)
WHERE t.bytes_tx + u.tx > ${MAX_TOTAL} OR t.bytes_rx + u.rx > ${MAX_TOTAL}
LIMIT 1`;

export interface WriteJob {
  /** Reused by every attempt of the same job: a retry after an unknown commit outcome cannot apply it twice. */
  id: string;
  flows: UpsertColumns;
  minutes: MinuteColumns;
  tickets?: TicketColumns;
}

export function writeJob(flows: UpsertColumns, minutes: MinuteColumns, tickets?: TicketColumns): WriteJob {
  return { id: randomUUID(), flows, minutes, tickets };
}

/**
 * One attempt of a write transaction on a fresh pooled connection. Resolves with no keys once committed;
 * a duplicate commit marker means an earlier attempt of this job committed, which is success too. When
 * some Idempotency-Key is live elsewhere, rolls back and resolves with the refused keys: a committed job
 * always applied every one of its batches, so "the marker exists" keeps meaning "all of it is applied".
 */
export async function writeOnce(pool: pg.Pool, job: WriteJob, intervalMs: number, instance: string): Promise<string[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  let committing = false;
  try {
    await client.query('BEGIN');
    // The fence is shared with every other writer; only the emitter closing a window waits for us (and we for it).
    await client.query(START_SQL, [FENCE_LOCK, job.id]);
    if (job.tickets) {
      const refused = await claimKeys(client, job.tickets);
      if (refused.length > 0) {
        await client.query('ROLLBACK');
        return refused;
      }
    }
    const { flows, minutes: m } = job;
    await client.query(WRITE_SQL, [
      flows.hour,
      flows.src,
      flows.dest,
      flows.vpc,
      flows.tx,
      flows.rx,
      intervalMs,
      m.keyMinute,
      m.keyHour,
      m.keySrc,
      m.keyDest,
      m.keyVpc,
      instance,
      m.statMinute,
      m.statRecords,
      m.statTx,
      m.statRx,
    ]);
    committing = true;
    await client.query('COMMIT');
    return [];
  } catch (err) {
    // After COMMIT is sent, a lost connection leaves the outcome unknown until a retry finds the marker.
    if (committing && err instanceof Error) Object.assign(err, { commitOutcomeUnknown: true });
    if (err instanceof pg.DatabaseError) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
    } else {
      // Not an answer from the server (a socket error or a client-side timeout): the connection's
      // state is unknown, so it is closed, which also makes the server roll back.
      broken = err as Error;
    }
    if (sqlState(err) === '23505' && (err as { constraint?: string }).constraint === 'flow_commits_pkey') return [];
    if (sqlState(err) === '23514' && !broken) throw await overflowError(client, job.flows);
    if (sqlState(err) === '23514') throw totalOverflow();
    throw err;
  } finally {
    // A connection that failed mid-transaction is discarded rather than handed to the next writer.
    client.release(broken);
  }
}

/** Names a flow that would pass 2^53-1, for the 422 message; read after the rollback, best effort. */
async function overflowError(client: pg.PoolClient, flows: UpsertColumns): Promise<Error> {
  try {
    const { rows } = await client.query(OVERFLOWING_FLOW_SQL, [
      flows.hour,
      flows.src,
      flows.dest,
      flows.vpc,
      flows.tx,
      flows.rx,
    ]);
    if (rows[0]) return totalOverflow(rows[0]);
  } catch {
    // The name of the flow is a courtesy; the rejection stands without it.
  }
  return totalOverflow();
}
