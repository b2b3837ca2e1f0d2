import { Type } from 'typebox';
import type { ExactInteger } from '../queries/exact-integer.js';

// ISO 8601 date and time with a zone, e.g. 2026-11-21T16:37:00Z or 2026-11-21T17:37+01:00.
export const ISO_TIME =
  '^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.\\d{1,9})?)?(?:Z|[+-]\\d{2}:\\d{2})$';

const Time = (description: string) =>
  Type.Optional(Type.String({ pattern: ISO_TIME, maxLength: 40, description, examples: ['2026-11-21T16:00:00Z'] }));

export const CountsQuery = Type.Object(
  {
    since: Time('start of the range, inclusive; default: an hour before `until`'),
    until: Time('end of the range, exclusive; default: now'),
  },
  { additionalProperties: false },
);

const Sum = (description: string) =>
  Type.Unsafe<ExactInteger>(Type.Integer({ minimum: 0, description: `${description}, exact (may pass 2^53-1)` }));

export const CountsAnswer = Type.Object(
  {
    since: Type.String({ description: 'the range asked, ISO 8601 UTC' }),
    until: Type.String(),
    counts: Type.Array(
      Type.Object({
        minute: Type.String({ description: 'start of the window, ISO 8601 UTC' }),
        unique_flows: Type.Integer({ minimum: 0, description: 'distinct flows seen in the window' }),
        records: Type.Integer({ minimum: 0 }),
        bytes_tx: Sum('bytes transmitted in the window'),
        bytes_rx: Sum('bytes received in the window'),
        partial: Type.Optional(Type.Boolean({ description: 'true: the window was cut short by a shutdown' })),
        scope: Type.Optional(
          Type.Literal('cluster', { description: 'persistent mode: the count of every instance on the database' }),
        ),
      }),
      { description: 'the published counts of the range, ascending by minute' },
    ),
  },
  {
    description: 'minute counts as they were published',
    examples: [
      {
        since: '2026-11-21T16:00:00.000Z',
        until: '2026-11-21T17:00:00.000Z',
        counts: [{ minute: '2026-11-21T16:37:00.000Z', unique_flows: 2, records: 3, bytes_tx: 400, bytes_rx: 2000 }],
      },
    ],
  },
);
