import type { MinuteCount } from '../../counts/minute-count.js';
import { parseExact } from '../../queries/exact-integer.js';

/** A window's count as the cluster's tables give it back, every number as text. */
export interface ClusterCountRow {
  minute: string;
  unique_flows: string;
  records: string;
  bytes_tx: string;
  bytes_rx: string;
}

/** One window's count for the whole cluster; repeats of it share the minute alone (see MinuteCount.scope). */
export function clusterCount(row: ClusterCountRow): MinuteCount {
  return {
    minute: new Date(Number(row.minute)).toISOString(),
    unique_flows: Number(row.unique_flows),
    records: Number(row.records),
    // Exact: the sums are NUMERIC, and pass 2^53-1 with a few large flows.
    bytes_tx: parseExact(row.bytes_tx),
    bytes_rx: parseExact(row.bytes_rx),
    scope: 'cluster',
  };
}
