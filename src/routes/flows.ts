import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Accepted, ErrorBody, FlowsQuery, FlowTotal, flowBatch } from '../schemas/flow.js';
import type { FlowStore } from '../store/flow-store.js';
import '../http/route-config.js';

export interface FlowRoutesOptions {
  store: FlowStore;
  maxBatchRecords: number;
}

export const flowRoutes: FastifyPluginAsyncTypebox<FlowRoutesOptions> = async (app, { store, maxBatchRecords }) => {
  app.post(
    '/flows',
    {
      config: { scope: 'ingest', idempotent: true },
      schema: {
        summary: 'Add flow records to the hourly totals (all or nothing)',
        body: flowBatch(maxBatchRecords),
        response: { 200: Accepted, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request) => {
      await store.ingest(request.body, { idempotency: request.idempotency });
      return { accepted: request.body.length };
    },
  );

  app.get(
    '/flows',
    {
      config: { scope: 'query' },
      schema: {
        summary: 'Totals of every flow seen in one hour',
        querystring: FlowsQuery,
        response: { 200: { type: 'array', items: FlowTotal }, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request) => store.flowsForHour(request.query.hour),
  );
};
