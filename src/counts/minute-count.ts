/** One closed window's numbers, as the scheduler publishes them. */
export interface MinuteCount {
  /** Start of the window, ISO 8601 UTC. */
  minute: string;
  unique_flows: number;
  records: number;
  bytes_tx: number;
  bytes_rx: number;
  /** Present when the window was cut short by shutdown. */
  partial?: true;
  /**
   * `cluster`: the count of every instance on one database (persistent mode), published by whichever
   * instance counted it, so its repeats share the minute alone. Absent: this process's own count, whose
   * repeats share the minute and the instance.
   */
  scope?: 'cluster';
}

/** A count as it is published: the minute's numbers plus the instance that counted them. */
export interface PublishedCount extends MinuteCount {
  instance: string;
}

/**
 * A published count read back (a spool line, a Kafka message), or undefined when the text is not one.
 * A count without `instance` (written by the file sink) is attributed to `instance`.
 */
export function parseCount(text: string, instance: string): PublishedCount | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const count = value as Partial<PublishedCount>;
  const numbers = [count.unique_flows, count.records, count.bytes_tx, count.bytes_rx];
  if (typeof count.minute !== 'string' || !numbers.every((n) => Number.isSafeInteger(n))) return undefined;
  return { ...(count as PublishedCount), instance: typeof count.instance === 'string' ? count.instance : instance };
}
