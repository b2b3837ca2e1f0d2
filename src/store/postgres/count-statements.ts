// The statements of the cluster's minute counts (share-writer.ts, emitter.ts). A window is named by its
// start in milliseconds since the epoch. `closed_through` is the last window the emitter closed: a
// share written later for a window up to it is filed under the next one instead, so it is counted once.

/** The window a share of window $1 is filed under: itself, or the first one still open. */
const FILED_UNDER = 'greatest($1::bigint, (SELECT closed_through + $2 FROM flow_count_state WHERE id))';

// Distinct keys, in key order (two instances writing the same keys wait for each other, never deadlock).
export const SHARE_KEYS_SQL = `
INSERT INTO flow_minute_keys (minute, hour, src_app, dest_app, vpc_id)
SELECT ${FILED_UNDER}, k.* FROM unnest($3::int[], $4::text[], $5::text[], $6::text[]) AS k
ON CONFLICT DO NOTHING`;

// Records and bytes of the share (none for an idle window), and how far this instance has written.
export const SHARE_STATS_SQL = `
WITH stats AS (
  INSERT INTO flow_minute_stats AS s (minute, instance, records, bytes_tx, bytes_rx)
  SELECT ${FILED_UNDER}, $3::text, $4::bigint, $5::numeric, $6::numeric WHERE $4::bigint > 0
  ON CONFLICT (minute, instance) DO UPDATE
  SET records = s.records + EXCLUDED.records, bytes_tx = s.bytes_tx + EXCLUDED.bytes_tx,
      bytes_rx = s.bytes_rx + EXCLUDED.bytes_rx
)
INSERT INTO flow_instances AS i (instance, written_through, seen_at) VALUES ($3, $1, now())
ON CONFLICT (instance) DO UPDATE
SET written_through = greatest(i.written_through, EXCLUDED.written_through), seen_at = now()`;

// An instance joins with nothing to write before the window it starts in: it has written through the one
// before ($2). The first instance of a new database also starts the counting there, so no window from
// before any instance ran is published.
export const JOIN_SQL = `
WITH state AS (
  UPDATE flow_count_state
  SET closed_through = coalesce(closed_through, $2), emitted_through = coalesce(emitted_through, $2) WHERE id
)
INSERT INTO flow_instances (instance, written_through, seen_at) VALUES ($1, $2, now())
ON CONFLICT (instance) DO UPDATE SET written_through = EXCLUDED.written_through, seen_at = now()`;

export const LEAVE_SQL = 'DELETE FROM flow_instances WHERE instance = $1';

// Under the fence, exclusively: forgets instances not heard of for $2 ms that still owe window $1 (they
// died without leaving), then closes every window all the others have written, up to $1.
export const CLOSE_SQL = `
WITH gone AS (
  DELETE FROM flow_instances
  WHERE seen_at < now() - $2 * interval '1 millisecond' AND written_through < $1
  RETURNING instance
), ready AS (
  SELECT least($1::bigint, min(written_through)) AS through
  FROM flow_instances WHERE instance NOT IN (SELECT instance FROM gone)
)
UPDATE flow_count_state SET closed_through = greatest(closed_through, (SELECT through FROM ready)) WHERE id
RETURNING (SELECT through FROM ready)::text AS ready, emitted_through::text AS emitted,
  (SELECT count(*) FROM gone)::int AS gone`;

// The counts of windows $1 to $2: every window of the series (so a quiet one still gets its zero) and any
// other window with stats after the last one published ($4).
export const COUNTS_SQL = `
WITH w(minute) AS (
  SELECT generate_series($1::bigint, $2::bigint, $3::bigint)
  UNION SELECT minute FROM flow_minute_stats WHERE minute > $4 AND minute <= $2
)
SELECT w.minute::text,
  (SELECT count(*) FROM flow_minute_keys k WHERE k.minute = w.minute)::text AS unique_flows,
  coalesce(sum(s.records), 0)::text AS records,
  coalesce(sum(s.bytes_tx), 0)::text AS bytes_tx,
  coalesce(sum(s.bytes_rx), 0)::text AS bytes_rx
FROM w LEFT JOIN flow_minute_stats s ON s.minute = w.minute
GROUP BY w.minute ORDER BY w.minute`;

// Once published: the counted rows of the windows through $1 go, and old commit markers with them.
export const PRUNE_WINDOWS_SQL = [
  'DELETE FROM flow_minute_keys WHERE minute <= $1',
  'DELETE FROM flow_minute_stats WHERE minute <= $1',
];
export const PRUNE_COMMITS_SQL = `DELETE FROM flow_commits WHERE created_at < now() - interval '1 hour'`;
export const EMITTED_SQL = 'UPDATE flow_count_state SET emitted_through = $1 WHERE id';
