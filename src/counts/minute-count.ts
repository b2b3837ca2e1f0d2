import { isLosslessNumber, parse, stringify } from 'lossless-json';
import { type ExactInteger, parseExact } from '../queries/exact-integer.js';

/** One closed window's numbers, as the scheduler publishes them. */
export interface MinuteCount {
  /** Start of the window, ISO 8601 UTC. */
  minute: string;
  unique_flows: number;
  records: number;
  /**
   * Exact sums: a minute's bytes pass 2^53-1 (a double's exact range) with a few large flows, and are
   * then bigints (see ExactInteger). Never convert them through a Number; they are written as plain JSON
   * numbers with as many digits as needed.
   */
  bytes_tx: ExactInteger;
  bytes_rx: ExactInteger;
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

/** A count as one line of JSON, its byte sums as plain numbers of any length (JSON.stringify cannot write a bigint). */
export function countJson(count: MinuteCount | PublishedCount): string {
  return stringify(count) as string;
}

const PLAIN_INTEGER = /^(0|[1-9][0-9]*)$/;

/** A JSON number written as a plain non-negative integer, exactly; undefined for anything else. */
function exactInteger(value: unknown): ExactInteger | undefined {
  return isLosslessNumber(value) && PLAIN_INTEGER.test(value.value) ? parseExact(value.value) : undefined;
}

function safeInteger(value: unknown): number | undefined {
  const exact = exactInteger(value);
  return typeof exact === 'number' ? exact : undefined;
}

/**
 * A published count read back (a spool line, a Kafka message), or undefined when the text is not one.
 * Numbers are read without loss (JSON.parse would round bytes past 2^53-1). A count without `instance`
 * (written by the file sink before it named its instance) is attributed to `instance`.
 */
export function parseCount(text: string, instance: string): PublishedCount | undefined {
  let value: unknown;
  try {
    value = parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const count = {
    minute: raw.minute,
    unique_flows: safeInteger(raw.unique_flows),
    records: safeInteger(raw.records),
    bytes_tx: exactInteger(raw.bytes_tx),
    bytes_rx: exactInteger(raw.bytes_rx),
  };
  if (typeof count.minute !== 'string' || Object.values(count).some((field) => field === undefined)) return undefined;
  return {
    ...(count as MinuteCount),
    ...(raw.partial === true ? { partial: true } : {}),
    ...(raw.scope === 'cluster' ? { scope: 'cluster' } : {}),
    instance: typeof raw.instance === 'string' ? raw.instance : instance,
  };
}
