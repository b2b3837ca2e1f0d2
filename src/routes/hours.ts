import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { HoursAnswer, HoursQuery } from '../schemas/queries.js';
import type { FlowStore } from '../store/flow-store.js';
import { checkHourRange } from './hour-range.js';
import { queryErrors } from './query-errors.js';

/** `GET /hours`: flows and byte totals per hour of a range, for a chart of traffic per hour. */
const hoursRoute: FastifyPluginAsyncTypebox<{ store: FlowStore }> = async (app, { store }) => {
  app.get(
    '/hours',
    {
      config: { scope: 'query' },
      schema: {
        summary: 'Flows and byte totals per hour of a range',
        tags: ['queries'],
        querystring: HoursQuery,
        response: {
          200: HoursAnswer,
          ...queryErrors('query parameter "from_hour" (5) must be <= "to_hour" (4)', 'summing hours'),
        },
      },
    },
    async (request) => {
      const { from_hour, to_hour } = request.query;
      checkHourRange(request.query);
      return { from_hour, to_hour, hours: await store.hourSummaries(from_hour, to_hour) };
    },
  );
};

export default fp(hoursRoute, {
  name: 'hours-route',
  fastify: '5.x',
  encapsulate: true,
  dependencies: ['swagger', 'rate-limit'],
});
