import { Type } from 'typebox';
import type { ExactInteger } from '../queries/exact-integer.js';
import {
  DIMENSIONS,
  type Dimension,
  MAX_RANGE_HOURS,
  MAX_TOP_LIMIT,
  METRICS,
  type Metric,
} from '../queries/flow-queries.js';
import { MAX_HOUR, Name } from './flow.js';

/** Most names one filter may list. */
export const MAX_FILTER_NAMES = 100;

const range = {
  from_hour: Type.Integer({ minimum: 0, maximum: MAX_HOUR, description: 'first hour of the range' }),
  to_hour: Type.Integer({
    minimum: 0,
    maximum: MAX_HOUR,
    description: `last hour of the range, inclusive; a range holds at most ${MAX_RANGE_HOURS} hours`,
  }),
};
// Sums over many flows may pass 2^53-1: bigints then, which the serializer writes as plain JSON integers.
const Sum = (description: string) =>
  Type.Unsafe<ExactInteger>(Type.Integer({ minimum: 0, description: `${description}, exact (may pass 2^53-1)` }));
const Flows = Type.Integer({
  minimum: 0,
  description: 'flow-hour totals summed: one per flow per hour it was seen in (for one hour: distinct flows)',
});
const sums = {
  bytes_tx: Sum('bytes transmitted'),
  bytes_rx: Sum('bytes received'),
  bytes: Sum('bytes_tx + bytes_rx'),
  flows: Flows,
};

export const HoursQuery = Type.Object(range, { additionalProperties: false });

export const HoursAnswer = Type.Object(
  {
    ...range,
    hours: Type.Array(
      Type.Object({ hour: Type.Integer(), flows: Flows, bytes_tx: sums.bytes_tx, bytes_rx: sums.bytes_rx }),
      { description: 'one entry per hour that has flows, ascending' },
    ),
  },
  {
    description: 'flows and byte totals per hour',
    examples: [{ from_hour: 1, to_hour: 2, hours: [{ hour: 1, flows: 1, bytes_tx: 300, bytes_rx: 1500 }] }],
  },
);

const filter = (dimension: string) =>
  Type.Optional(
    Type.Array(Name(`only flows with this ${dimension}`), {
      minItems: 1,
      maxItems: MAX_FILTER_NAMES,
      description: `only flows whose ${dimension} is one of these (repeat the parameter for several)`,
    }),
  );

/** Defaults of `GET /flows/top`, filled in by validation (and named for the handler's types). */
export const TOP_DEFAULTS = { by: ['src_app'] as Dimension[], metric: 'bytes' as Metric, limit: 10 };

// Optional, with a default: the document must not call them required.
export const TopQuery = Type.Object(
  {
    ...range,
    by: Type.Optional(
      Type.Array(Type.Enum([...DIMENSIONS]), {
        minItems: 1,
        // Checked before uniqueItems, whose check is quadratic.
        maxItems: DIMENSIONS.length,
        uniqueItems: true,
        default: TOP_DEFAULTS.by,
        description: 'group-by dimensions, comma-separated or repeated; ties are broken by them in this order',
      }),
    ),
    metric: Type.Optional(
      Type.Enum([...METRICS], { default: TOP_DEFAULTS.metric, description: 'what ranks the groups; bytes = tx + rx' }),
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_TOP_LIMIT, default: TOP_DEFAULTS.limit, description: 'most rows' }),
    ),
    src_app: filter('src_app'),
    dest_app: filter('dest_app'),
    vpc_id: filter('vpc_id'),
  },
  { additionalProperties: false },
);

const groupSums = (description: string) =>
  Type.Object({ groups: Type.Integer({ minimum: 0, description: 'groups summed' }), ...sums }, { description });

export const TopAnswer = Type.Object(
  {
    ...range,
    by: Type.Array(Type.String()),
    metric: Type.String(),
    limit: Type.Integer(),
    rows: Type.Array(
      Type.Object({
        src_app: Type.Optional(Type.String()),
        dest_app: Type.Optional(Type.String()),
        vpc_id: Type.Optional(Type.String()),
        hour: Type.Optional(Type.Integer()),
        ...sums,
      }),
      { description: 'the top groups: each with exactly the `by` fields; metric descending, ties by `by` ascending' },
    ),
    other: groupSums('every group past the rows, summed: rows + other = total'),
    total: groupSums('every group of the range that passes the filters'),
  },
  {
    description: 'the top groups by the metric, the rest as one row, and the total',
    examples: [
      {
        from_hour: 1,
        to_hour: 2,
        by: ['src_app'],
        metric: 'bytes',
        limit: 1,
        rows: [{ src_app: 'foo', bytes_tx: 300, bytes_rx: 1500, bytes: 1800, flows: 1 }],
        other: { groups: 1, bytes_tx: 100, bytes_rx: 500, bytes: 600, flows: 1 },
        total: { groups: 2, bytes_tx: 400, bytes_rx: 2000, bytes: 2400, flows: 2 },
      },
    ],
  },
);
