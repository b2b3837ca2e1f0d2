import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Accepted, ErrorBody, FlowsQuery, FlowTotal, flowBatch } from '../schemas/flow.js';
import type { FlowStore } from '../store/flow-store.js';

export interface FlowRoutesOptions {
  store: FlowStore;
  maxBatchRecords: number;
}

export const flowRoutes: FastifyPluginAsyncTypebox<FlowRoutesOptions> = async (app, { store, maxBatchRecords }) => {
  app.post(
    '/flows',
    {
      schema: {
        summary: 'Add flow records to the hourly totals (all or nothing)',
        body: flowBatch(maxBatchRecords),
        response: { 200: Accepted, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request) => {
      await store.ingest(request.body);
      return { accepted: request.body.length };
    },
  );

  app.get(
    '/flows',
    {
      schema: {
        summary: 'Totals of every flow seen in one hour',
        querystring: FlowsQuery,
        response: { 200: { type: 'array', items: FlowTotal }, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request) => store.flowsForHour(request.query.hour),
  );
};
