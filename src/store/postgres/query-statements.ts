import { NAME_DIMENSIONS, type TopQuery } from '../../queries/flow-queries.js';

export const HOURS_SQL = `
SELECT hour, count(*)::text AS flows, sum(bytes_tx)::text AS bytes_tx, sum(bytes_rx)::text AS bytes_rx
FROM flow_totals WHERE hour BETWEEN $1 AND $2
GROUP BY hour ORDER BY hour`;

const METRIC_SQL = { bytes: 'tx + rx', bytes_tx: 'tx', bytes_rx: 'rx' } as const;

/**
 * `GET /flows/top` as one statement, so the rows and the total come from one snapshot and add up. The
 * range on `hour` is the leading column of the primary key, so only the range's index entries are
 * read. Groups are summed once (the CTE `g`, materialized because it is read twice); the top `limit`
 * come from a bounded sort (LIMIT), never a sort of every group. Names are ordered with the "C"
 * collation: by UTF-8 bytes, which is code point order, as the in-memory store orders them. Column
 * names come from the fixed list of dimensions, never from the request; values are parameters.
 */
export function topStatement(query: TopQuery): { text: string; values: unknown[] } {
  const values: unknown[] = [query.from_hour, query.to_hour];
  const where = ['hour BETWEEN $1 AND $2'];
  for (const dimension of NAME_DIMENSIONS) {
    const names = query.filters[dimension];
    if (!names) continue;
    values.push(names);
    where.push(`${dimension} = ANY($${values.length}::text[])`);
  }
  values.push(query.limit);
  const by = query.by.join(', ');
  const order = [`${METRIC_SQL[query.metric]} DESC`, ...query.by.map((d) => (d === 'hour' ? d : `${d} COLLATE "C"`))];
  const noKey = query.by.map((d) => `NULL::${d === 'hour' ? 'integer' : 'text'}`).join(', ');
  const text = `
WITH g AS (
  SELECT ${by}, sum(bytes_tx) AS tx, sum(bytes_rx) AS rx, count(*) AS flows
  FROM flow_totals WHERE ${where.join(' AND ')}
  GROUP BY ${by}
), top AS (
  SELECT *, row_number() OVER (ORDER BY ${order.join(', ')}) AS rank
  FROM (SELECT * FROM g ORDER BY ${order.join(', ')} LIMIT $${values.length}) limited
)
SELECT rank, ${by}, tx::text AS bytes_tx, rx::text AS bytes_rx, flows::text AS flows, NULL::text AS groups
FROM top
UNION ALL
SELECT NULL, ${noKey}, coalesce(sum(tx), 0)::text, coalesce(sum(rx), 0)::text, coalesce(sum(flows), 0)::text,
  count(*)::text
FROM g
ORDER BY rank NULLS LAST`;
  return { text, values };
}
