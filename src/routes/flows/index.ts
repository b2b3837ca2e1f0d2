import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { ValidationError } from '../../errors.js';
import { JSON_TYPE, sendJsonAnswer } from '../../http/json-answer.js';
import { validatorCompiler } from '../../http/validation.js';
import type { IdempotencyTicket } from '../../idempotency/idempotency-store.js';
import { Accepted, acceptedJson, FlowsQuery, FlowTotal, flowBatch } from '../../schemas/flow.js';
import type { FlowStore } from '../../store/flow-store.js';
import { postFlowsDirectly } from './direct-post.js';
import { getFlowsErrors, postFlowsErrors } from './documented-errors.js';
import { createFlowBatchDecoder, rawJsonBody } from './flow-batch-body.js';
import { sendHourPages } from './hour-stream.js';

export interface FlowRoutesOptions {
  /** Handed over as it is, so the store's fast paths are reached (see FlowStore). */
  store: FlowStore;
  maxBatchRecords: number;
  /** Small plain batches may skip Fastify's request pipeline (direct-post.ts). */
  directPosts: boolean;
}

/** The body schema stays on the route for the API documentation; the handler validates it once itself. */
const bodyValidatedByHandler = () => () => true;

/**
 * POST returns the JSON it wrote itself: under a JSON content type Fastify sends it as it is (hence
 * `as never`: the type provider expects the object form). It returns it rather than call `reply.send`:
 * Fastify then answers once the request's events are handled, where an answer sent from inside the
 * body's 'end' event cost about 15% more CPU a request (A/B in bench/RESULTS.md). GET sends bytes or a
 * stream through sendJsonAnswer, which compresses them when asked.
 */
const flowRoutes: FastifyPluginAsyncTypebox<FlowRoutesOptions> = async (
  app,
  { store, maxBatchRecords, directPosts },
) => {
  // The body is validated by the handler, once, against flowBatch(maxBatchRecords): either while the
  // store's fast path reads the bytes, or by decodeRecords.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, rawJsonBody);
  const decodeRecords = createFlowBatchDecoder(app, validatorCompiler, maxBatchRecords);
  const { metrics } = app;

  /** The JSON answer to an applied batch; counts it. */
  const applied = (accepted: number, started: number): string => {
    metrics.storeWriteDuration.observe((performance.now() - started) / 1000);
    metrics.recordsIngested.inc(accepted);
    metrics.batchesIngested.inc();
    return acceptedJson(accepted);
  };
  /** Applies a batch: its JSON answer, at once unless the store waits (for the disk, or the database). */
  const applyBatch = (body: Buffer, idempotency: IdempotencyTicket | undefined): string | Promise<string> => {
    // The write duration covers the store's work only: not a fast path that declined, nor decoding.
    let started = performance.now();
    const fast = store.ingestJson?.(body, maxBatchRecords, idempotency ? { idempotency } : undefined);
    if (typeof fast === 'number') return applied(fast, started);
    if (fast) return fast.then((accepted) => applied(accepted, started));
    const records = decodeRecords(body);
    started = performance.now();
    return store.ingest(records, { idempotency }).then(() => applied(records.length, started));
  };
  if (directPosts && store.ingestJson) {
    // Fastify always fills in its body limit; were it missing, 0 would send every request the usual way.
    postFlowsDirectly(app, { bodyLimit: app.initialConfig.bodyLimit ?? 0, applyBatch });
  }

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
      const answer = applyBatch(request.body, request.idempotency);
      reply.type(JSON_TYPE);
      return (answer instanceof Promise ? await answer : answer) as never;
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
  dependencies: ['swagger', 'under-pressure', 'auth', 'rate-limit', 'metrics', 'idempotency'],
});
