import { MAX_TOTAL } from '../../schemas/flow.js';

// The statements of a write transaction (writer.ts), parameters in the order writeOnce passes them.

// The commit marker comes first, before the Idempotency-Keys are claimed: a retry of a job whose first
// attempt committed must stop at the duplicate marker, not be refused by the keys that attempt wrote.
export const START_SQL = `
WITH marker AS (INSERT INTO flow_commits (id) VALUES ($2))
SELECT pg_advisory_xact_lock_shared($1)`;

// One statement, so one round trip: the totals, and the minute keys and stats. The
// totals rows arrive in the caller's key order; minute keys are ordered here, for the same reason: two
// transactions locking the same rows in the same order wait for each other instead of deadlocking.
// A window already closed by the emitter (a batch that arrived just before the boundary but commits
// after the count) is moved to the next open window, so every record is counted exactly once.
export const WRITE_SQL = `
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

/** Names a flow of the job that would pass 2^53-1, for the 422 message. */
export const OVERFLOWING_FLOW_SQL = `
SELECT u.hour, u.src_app, u.dest_app, u.vpc_id
FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
  AS u(hour, src_app, dest_app, vpc_id, tx, rx)
JOIN flow_totals t USING (hour, src_app, dest_app, vpc_id)
WHERE t.bytes_tx + u.tx > ${MAX_TOTAL} OR t.bytes_rx + u.rx > ${MAX_TOTAL}
LIMIT 1`;
