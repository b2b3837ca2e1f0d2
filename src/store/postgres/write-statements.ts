import { MAX_TOTAL } from '../../schemas/flow.js';

// The statements of a write transaction (writer.ts), parameters in the order writeOnce passes them.

/** Shards of the flow count (flow_count_shards): enough that concurrent writers rarely share one. */
export const COUNT_SHARDS = 64;

// The totals of a job, in one statement: the upsert, rows in the caller's key order, so that two
// transactions locking the same rows lock them in the same order and wait for each other instead of
// deadlocking; and the flows it created added to one shard of the flow count (see flow_count_shards),
// after every totals row, so that lock is always taken last. `xmax = 0` marks a row this statement inserted
// rather than updated.
const totals = (after: string) => `totals AS (
  INSERT INTO flow_totals AS t (hour, src_app, dest_app, vpc_id, bytes_tx, bytes_rx)
  SELECT u.* FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
    AS u(hour, src_app, dest_app, vpc_id, tx, rx)${after}
  ON CONFLICT (hour, src_app, dest_app, vpc_id)
  DO UPDATE SET bytes_tx = t.bytes_tx + EXCLUDED.bytes_tx, bytes_rx = t.bytes_rx + EXCLUDED.bytes_rx
  RETURNING xmax = 0 AS created
)
INSERT INTO flow_count_shards AS c (shard, flows)
SELECT $7, count(*) FROM totals WHERE created HAVING count(*) > 0
ON CONFLICT (shard) DO UPDATE SET flows = c.flows + EXCLUDED.flows`;

// A job without Idempotency-Keys is this one statement, its own transaction: one round trip. The commit
// marker ($8) makes a retry after a lost connection safe: if the first attempt committed, the retry fails
// on the duplicate marker and rolls back. The rows are joined to the marker so that it is inserted before
// any total (a WITH statement nothing reads would run last): the duplicate is the error a retry sees.
export const WRITE_SQL = `WITH marker AS (INSERT INTO flow_commits (id) VALUES ($8) RETURNING id), ${totals(' CROSS JOIN marker')}`;

// A job with keys runs BEGIN, CLAIM_SQL, TOTALS_SQL, COMMIT (the keys may refuse the job before any total
// is written). Its marker goes with the claim: a retry of a job whose first attempt committed must stop
// at the duplicate marker, not be refused by the keys that attempt wrote.
export const TOTALS_SQL = `WITH ${totals('')}`;

/** Names a flow of the job that would pass 2^53-1, for the 422 message. */
export const OVERFLOWING_FLOW_SQL = `
SELECT u.hour, u.src_app, u.dest_app, u.vpc_id
FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
  AS u(hour, src_app, dest_app, vpc_id, tx, rx)
JOIN flow_totals t USING (hour, src_app, dest_app, vpc_id)
WHERE t.bytes_tx + u.tx > ${MAX_TOTAL} OR t.bytes_rx + u.rx > ${MAX_TOTAL}
LIMIT 1`;
