import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { ValidationError } from '../../errors.js';
import { sendJsonAnswer } from '../../http/json-answer.js';
import { validatorCompiler } from '../../http/validation.js';
import { Accepted, FlowsQuery, FlowTotal, flowBatch } from '../../schemas/flow.js';
import type { FlowStore } from '../../store/flow-store.js';
import { getFlowsErrors, postFlowsErrors } from './documented-errors.js';
import { createFlowBatchDecoder, rawJsonBody } from './flow-batch-body.js';
import { sendHourPages } from './hour-stream.js';

export interface FlowRoutesOptions {
  /** Handed over as it is, so the store's fast paths are reached (see FlowStore). */
  store: FlowStore;
  maxBatchRecords: number;
}

/**
 * POST returns the JSON it wrote itself: under a JSON content type Fastify sends it as it is (hence
 * `as never`: the type provider expects the object form). It returns it rather than call `reply.send`:
 * Fastify then answers once the request's events are handled, where an answer sent from inside the
 * body's 'end' event cost about 15% more CPU a request (A/B in bench/RESULTS.md). GET sends bytes or a
 * stream through sendJsonAnswer, which compresses them when asked.
 */
const JSON_TYPE = 'application/json; charset=utf-8';

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
        tags: ['flows'],
        body: flowBatch(maxBatchRecords),
        response: { 200: Accepted, ...postFlowsErrors(maxBatchRecords) },
      },
    },
    async (request, reply) => {
      // A POST without a body and without a content type skips the body parser.
      if (!Buffer.isBuffer(request.body)) throw new ValidationError('body must be a JSON array of flow records');
      // The write duration covers the store's work only: not a fast path that declined, nor decoding.
      let started = performance.now();
      const options = request.idempotency ? { idempotency: request.idempotency } : undefined;
      const fast = store.ingestJson?.(request.body, maxBatchRecords, options);
      // Only a store that waits for the disk answers with a promise; the others cost no extra turn.
      let accepted = fast instanceof Promise ? await fast : fast;
      if (accepted === undefined) {
        const records = decodeRecords(request.body);
        started = performance.now();
        await store.ingest(records, { idempotency: request.idempotency });
        accepted = records.length;
      }
      metrics.storeWriteDuration.observe((performance.now() - started) / 1000);
      metrics.recordsIngested.inc(accepted);
      metrics.batchesIngested.inc();
      reply.type(JSON_TYPE);
      return `{"accepted":${accepted}}` as never;
    },
  );

  app.get(
    '/flows',
    {
      config: { scope: 'query' },
      schema: {
        summary: 'Totals of every flow seen in one hour',
        tags: ['flows'],
        querystring: FlowsQuery,
        response: { 200: { type: 'array', items: FlowTotal }, ...getFlowsErrors },
      },
    },
    async (request, reply) => {
      const { hour } = request.query;
      const json = store.flowsForHourJson?.(hour);
      if (json) return sendJsonAnswer(request, reply as FastifyReply, json);
      if (!store.streamFlowsForHour) return store.flowsForHour(hour);
      return sendHourPages(request, reply as FastifyReply, await store.streamFlowsForHour(hour));
    },
  );
};

export default fp(flowRoutes, {
  name: 'flow-routes',
  fastify: '5.x',
  encapsulate: true,
  dependencies: ['swagger', 'rate-limit', 'metrics', 'idempotency'],
});
