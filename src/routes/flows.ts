import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { FlowTotal as FlowTotalRow } from '../schemas/flow.js';
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
    async (request, reply) => {
      if (!store.streamFlowsForHour) return store.flowsForHour(request.query.hour);
      const pages = await store.streamFlowsForHour(request.query.hour);
      // A stream bypasses the response schema's serializer (typed for arrays), so jsonArray writes the same shape.
      return (reply as FastifyReply).type('application/json; charset=utf-8').send(Readable.from(jsonArray(pages)));
    },
  );
};

/** Serializes page by page, so only one page of an hour is in memory at a time. */
async function* jsonArray(pages: AsyncIterable<FlowTotalRow[]>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const page of pages) {
    let chunk = '';
    for (const f of page) {
      chunk += `${first ? '' : ','}{"src_app":${JSON.stringify(f.src_app)},"dest_app":${JSON.stringify(f.dest_app)},"vpc_id":${JSON.stringify(f.vpc_id)},"hour":${f.hour},"bytes_tx":${f.bytes_tx},"bytes_rx":${f.bytes_rx}}`;
      first = false;
    }
    yield chunk;
  }
  yield ']';
}
