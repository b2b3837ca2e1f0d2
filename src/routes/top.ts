import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { NAME_DIMENSIONS, otherGroups, type TopQuery as StoreTopQuery } from '../queries/flow-queries.js';
import { TOP_DEFAULTS, TopAnswer, TopQuery } from '../schemas/queries.js';
import type { FlowStore } from '../store/flow-store.js';
import { checkHourRange } from './hour-range.js';
import { queryErrors } from './query-errors.js';

/** `GET /flows/top`: the top groups of a range by a metric, with the rest as one row and the total. */
const topRoute: FastifyPluginAsyncTypebox<{ store: FlowStore }> = async (app, { store }) => {
  app.get(
    '/flows/top',
    {
      config: { scope: 'query' },
      schema: {
        summary: 'Top groups (talkers) of a range of hours, with an "other" row and the total',
        tags: ['queries'],
        querystring: TopQuery,
        response: {
          200: TopAnswer,
          ...queryErrors('query parameter "by" must be one of src_app, dest_app, vpc_id, hour', 'ranking flows'),
        },
      },
      // `by=src_app,dest_app` and `by=src_app&by=dest_app` mean the same: one list, split before validation.
      preValidation: async (request) => {
        const query = request.query as Record<string, unknown>;
        if (query.by !== undefined) query.by = [query.by].flat().flatMap((value) => String(value).split(','));
      },
    },
    async (request) => {
      const {
        from_hour,
        to_hour,
        by = TOP_DEFAULTS.by,
        metric = TOP_DEFAULTS.metric,
        limit = TOP_DEFAULTS.limit,
      } = request.query;
      checkHourRange(request.query);
      const filters: StoreTopQuery['filters'] = {};
      for (const dimension of NAME_DIMENSIONS) {
        const names = request.query[dimension];
        if (names) filters[dimension] = names;
      }
      const groups = await store.topFlows({ from_hour, to_hour, by, metric, limit, filters });
      return { from_hour, to_hour, by, metric, limit, ...groups, other: otherGroups(groups) };
    },
  );
};

export default fp(topRoute, {
  name: 'top-route',
  fastify: '5.x',
  encapsulate: true,
  dependencies: ['swagger', 'rate-limit'],
});
