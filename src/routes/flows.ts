import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createFlowBatchDecoder, rawJsonBody } from '../http/flow-batch-body.js';
import { validatorCompiler } from '../http/validation.js';
import { Accepted, ErrorBody, FlowsQuery, FlowTotal } from '../schemas/flow.js';
import type { FlowStore } from '../store/flow-store.js';

export interface FlowRoutesOptions {
  store: FlowStore;
  maxBatchRecords: number;
}

export const flowRoutes: FastifyPluginAsyncTypebox<FlowRoutesOptions> = async (app, { store, maxBatchRecords }) => {
  // The body is validated by the handler, once, against flowBatch(maxBatchRecords): either while the
  // store's fast path reads the bytes, or by decodeRecords. A `body` schema here would be a second pass.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, rawJsonBody);
  const decodeRecords = createFlowBatchDecoder(app, validatorCompiler, maxBatchRecords);

  app.post(
    '/flows',
    {
      schema: {
        summary: 'Add flow records to the hourly totals (all or nothing)',
        response: { 200: Accepted, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const body = request.body as Buffer;
      let accepted = store.ingestJson?.(body, maxBatchRecords);
      if (accepted === undefined) {
        const records = decodeRecords(body);
        await store.ingest(records);
        accepted = records.length;
      }
      // Already JSON (a string with a JSON content type), so Fastify sends it as it is; `as never`
      // because the type provider expects the object form.
      return reply.type('application/json; charset=utf-8').send(`{"accepted":${accepted}}` as never);
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
    async (request, reply) => {
      const json = store.flowsForHourJson?.(request.query.hour);
      if (json) return reply.type('application/json; charset=utf-8').send(json as never);
      return store.flowsForHour(request.query.hour);
    },
  );
};
