import type { PublishedCount } from '../counts/minute-count.js';

/** One line per minute, for a person watching a terminal. */
export function formatCount(count: PublishedCount): string {
  const partial = count.partial ? ' (partial)' : '';
  const scope = count.scope ? ` scope=${count.scope}` : '';
  return (
    `${count.minute} unique_flows=${count.unique_flows} records=${count.records} ` +
    `bytes_tx=${count.bytes_tx} bytes_rx=${count.bytes_rx} instance=${count.instance}${scope}${partial}`
  );
}
