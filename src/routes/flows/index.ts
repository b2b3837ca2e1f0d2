import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { ValidationError } from '../../errors.js';
import { validatorCompiler } from '../../http/validation.js';
import {
  Accepted,
  ErrorBody,
  FlowsQuery,
  FlowTotal,
  type FlowTotal as FlowTotalRow,
  flowBatch,
} from '../../schemas/flow.js';
import type { FlowStore } from '../../store/flow-store.js';
import { createFlowBatchDecoder, rawJsonBody } from './flow-batch-body.js';

export interface FlowRoutesOptions {
  /** Handed over as it is, so the store's fast paths are reached (see FlowStore). */
  store: FlowStore;
  maxBatchRecords: number;
}

/** The body schema stays on the route for the API documentation; the handler validates it once itself. */
const bodyValidatedByHandler = () => () => true;

const flowRoutes: FastifyPluginAsyncTypebox<FlowRoutesOptions> = async (app, { store, maxBatchRecords }) => {
  // The body is validated by the handler, once, against flowBatch(maxBatchRecords): either while the
  // store's fast path reads the bytes, or by decodeRecords.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, rawJsonBody);
  const decodeRecords = createFlowBatchDecoder(app, validatorCompiler, maxBatchRecords);
  const { metrics } = app;

  app.post(
    '/flows',
    {
      config: { scope: 'ingest', idempotent: true },
      validatorCompiler: bodyValidatedByHandler,
      schema: {
        summary: 'Add flow records to the hourly totals (all or nothing)',
        body: flowBatch(maxBatchRecords),
        response: { 200: Accepted, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request, reply) => {
      // A POST without a body and without a content type skips the body parser.
      if (!Buffer.isBuffer(request.body)) throw new ValidationError('body must be a JSON array of flow records');
      const body = request.body;
      // The write duration covers the store's work only: not a fast path that declined, nor decoding.
      let stop = metrics.storeWriteDuration.startTimer();
      const options = request.idempotency ? { idempotency: request.idempotency } : undefined;
      const fast = store.ingestJson?.(body, maxBatchRecords, options);
      // Only a store that waits for the disk answers with a promise; the others cost no extra turn.
      let accepted = fast instanceof Promise ? await fast : fast;
      if (accepted === undefined) {
        const records = decodeRecords(body);
        stop = metrics.storeWriteDuration.startTimer();
        await store.ingest(records, { idempotency: request.idempotency });
        accepted = records.length;
      }
      stop();
      metrics.recordsIngested.inc(accepted);
      metrics.batchesIngested.inc();
      // Already JSON (a string with a JSON content type), so Fastify sends it as it is; `as never`
      // because the type provider expects the object form.
      return reply.type('application/json; charset=utf-8').send(`{"accepted":${accepted}}` as never);
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
      const { hour } = request.query;
      const json = store.flowsForHourJson?.(hour);
      if (json) return reply.type('application/json; charset=utf-8').send(json as never);
      if (!store.streamFlowsForHour) return store.flowsForHour(hour);
      const pages = await store.streamFlowsForHour(hour);
      // A stream bypasses the response schema's serializer (typed for arrays), so jsonArray writes the same shape.
      return (reply as FastifyReply).type('application/json; charset=utf-8').send(Readable.from(jsonArray(pages)));
    },
  );
};

export default fp(flowRoutes, {
  name: 'flow-routes',
  fastify: '5.x',
  encapsulate: true,
  dependencies: ['swagger', 'rate-limit', 'metrics', 'idempotency'],
});

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
