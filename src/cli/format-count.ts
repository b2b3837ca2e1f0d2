import type { PublishedCount } from '../sinks/spool.js';

/** One line per minute, for a person watching a terminal. */
export function formatCount(count: PublishedCount): string {
  const partial = count.partial ? ' (partial)' : '';
  return (
    `${count.minute} unique_flows=${count.unique_flows} records=${count.records} ` +
    `bytes_tx=${count.bytes_tx} bytes_rx=${count.bytes_rx} instance=${count.instance}${partial}`
  );
}

/** The message value as a count, or undefined when it is not one. */
export function parseCount(value: Buffer | null): PublishedCount | undefined {
  if (value === null) return undefined;
  try {
    const count = JSON.parse(value.toString('utf8')) as Partial<PublishedCount> | null;
    if (typeof count?.minute !== 'string' || typeof count.unique_flows !== 'number') return undefined;
    return { ...count, instance: typeof count.instance === 'string' ? count.instance : 'unknown' } as PublishedCount;
  } catch {
    return undefined;
  }
}
