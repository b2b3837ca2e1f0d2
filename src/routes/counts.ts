import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import type { CountsHistory } from '../counts/counts-history.js';
import { ValidationError } from '../errors.js';
import { CountsAnswer, CountsQuery, ISO_TIME } from '../schemas/counts.js';
import { queryErrors } from './query-errors.js';

export interface CountsRouteOptions {
  history: CountsHistory;
  /** COUNTS_RETENTION_HOURS: how long counts are kept, and the longest range one request may ask. */
  retentionHours: number;
}

const HOUR_MS = 3_600_000;

/** `GET /counts`: the minute counts as they were published, for a range of time. */
const countsRoute: FastifyPluginAsyncTypebox<CountsRouteOptions> = async (app, { history, retentionHours }) => {
  app.get(
    '/counts',
    {
      config: { scope: 'query' },
      schema: {
        summary: 'Published minute counts of a range of time (default: the last hour)',
        tags: ['queries'],
        querystring: CountsQuery,
        response: {
          200: CountsAnswer,
          ...queryErrors('query parameter "since" must be before "until"', 'reading minute counts'),
        },
      },
    },
    async (request) => {
      const until = request.query.until === undefined ? Date.now() : parseTime('until', request.query.until);
      const since = request.query.since === undefined ? until - HOUR_MS : parseTime('since', request.query.since);
      if (since >= until) throw new ValidationError('query parameter "since" must be before "until"');
      if (until - since > retentionHours * HOUR_MS) {
        throw new ValidationError(
          `the range since..until is longer than COUNTS_RETENTION_HOURS (${retentionHours} hours), how long counts are kept`,
        );
      }
      const counts = await history.between(since, until);
      return { since: new Date(since).toISOString(), until: new Date(until).toISOString(), counts };
    },
  );
};

/** Milliseconds of an ISO time the schema let through; a day or hour that does not exist is a 400. */
function parseTime(name: string, text: string): number {
  const [, year, month, day, hour] = new RegExp(ISO_TIME).exec(text) ?? [];
  const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  const time = Date.parse(text);
  if (Number(day) > daysInMonth || Number(day) < 1 || Number(hour) > 23 || Number.isNaN(time)) {
    throw new ValidationError(`query parameter "${name}" is not a valid time: ${JSON.stringify(text)}`);
  }
  return time;
}

export default fp(countsRoute, {
  name: 'counts-route',
  fastify: '5.x',
  encapsulate: true,
  dependencies: ['swagger', 'rate-limit'],
});
