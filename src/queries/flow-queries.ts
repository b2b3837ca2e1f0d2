import { type ExactInteger, subtractExact } from './exact-integer.js';

/**
 * What `GET /hours` and `GET /flows/top` ask a FlowStore, and what it answers. Both stores answer the
 * same, exactly: sums as ExactIntegers, rows in the order defined here.
 */
export const NAME_DIMENSIONS = ['src_app', 'dest_app', 'vpc_id'] as const;
export type NameDimension = (typeof NAME_DIMENSIONS)[number];
export const DIMENSIONS = [...NAME_DIMENSIONS, 'hour'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const METRICS = ['bytes', 'bytes_tx', 'bytes_rx'] as const;
export type Metric = (typeof METRICS)[number];

/** Longest range of hours one query may cover: 31 days. */
export const MAX_RANGE_HOURS = 744;
export const MAX_TOP_LIMIT = 1000;

/** One hour of `GET /hours`: its number of flows and their byte totals. */
export interface HourSummary {
  hour: number;
  flows: number;
  bytes_tx: ExactInteger;
  bytes_rx: ExactInteger;
}

export interface TopQuery {
  /** Inclusive range. */
  from_hour: number;
  to_hour: number;
  /** Group-by dimensions, distinct, in the order that breaks ties. */
  by: Dimension[];
  metric: Metric;
  limit: number;
  /** Exact-match filters; a dimension with several names matches any of them. */
  filters: Partial<Record<NameDimension, string[]>>;
}

export interface Sums {
  bytes_tx: ExactInteger;
  bytes_rx: ExactInteger;
  /** bytes_tx + bytes_rx. */
  bytes: ExactInteger;
  /** Flow-hour totals summed into the group: one per flow per hour it was seen in. */
  flows: number;
}

/** One group: its `by` fields and its sums. */
export type TopRow = Partial<Record<NameDimension, string>> & { hour?: number } & Sums;

/** A set of groups summed together (the `other` row, the range's total). */
export type GroupSums = Sums & { groups: number };

/** What a store answers: the top `limit` groups in order, and the total over every group. */
export interface TopGroups {
  rows: TopRow[];
  total: GroupSums;
}

export const noSums = (): GroupSums => ({ groups: 0, bytes_tx: 0, bytes_rx: 0, bytes: 0, flows: 0 });

/** The groups past the top rows: the total minus the rows, so rows + other == total exactly. */
export function otherGroups({ rows, total }: TopGroups): GroupSums {
  let other: GroupSums = { ...total };
  for (const row of rows) {
    other = {
      groups: other.groups - 1,
      bytes_tx: subtractExact(other.bytes_tx, row.bytes_tx),
      bytes_rx: subtractExact(other.bytes_rx, row.bytes_rx),
      bytes: subtractExact(other.bytes, row.bytes),
      flows: other.flows - row.flows,
    };
  }
  return other;
}

/**
 * Orders strings by Unicode code point, as PostgreSQL's "C" collation orders UTF-8 bytes. JavaScript's
 * `<` compares UTF-16 units, which puts astral characters (surrogate pairs) before U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates above U+E000..U+FFFF, keeping every other order. */
const codePointRank = (unit: number): number => (unit < 0xd800 ? unit : unit >= 0xe000 ? unit - 0x800 : unit + 0x2000);
