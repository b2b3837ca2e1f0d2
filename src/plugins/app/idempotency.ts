import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { JSON_TYPE } from '../../http/json-answer.js';
import { IdempotencyGate, REPLAYED_HEADER, Replay } from '../../idempotency/gate.js';
import type { IdempotencyStore, IdempotencyTicket, StoredResponse } from '../../idempotency/idempotency-store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route honours the Idempotency-Key header. Its handler returns its JSON answer as a string:
     * that string and the status code are what a repeat gets.
     */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** Set when this request owns an Idempotency-Key and must record it with its batch. */
    idempotency: IdempotencyTicket | undefined;
  }
  interface FastifyInstance {
    /** The instance's Idempotency-Key gate, for a route answered outside Fastify (direct-post.ts). */
    idempotencyGate: IdempotencyGate;
  }
}

export interface IdempotencyOptions {
  store: IdempotencyStore;
  ttlMs: number;
}

/**
 * Idempotency-Key for routes with `config.idempotent` (see IdempotencyGate): a repeat of a completed
 * request gets the stored response without running again; a repeat of one still running in this
 * instance waits for it.
 */
const idempotency: FastifyPluginAsync<IdempotencyOptions> = async (app, { store, ttlMs }) => {
  const gate = new IdempotencyGate(store, ttlMs);
  const { metrics } = app;
  app.decorate('idempotencyGate', gate);
  app.decorateRequest('idempotency', undefined);

  // The handler is wrapped rather than hooked: a request without the header then costs one header
  // read, where a preHandler and an onSend hook would cost two hook runs on every request to the route.
  app.addHook('onRoute', (route) => {
    if (!route.config?.idempotent) return;
    const handler = route.handler;
    route.handler = function idempotentHandler(request, reply) {
      const header = request.headers['idempotency-key'];
      if (header === undefined) return handler.call(this, request, reply);
      const served = gate.serve(
        gate.keyOf(header, request.apiKeyId),
        gate.bodyHashOf(request.body),
        (ticket) => {
          request.idempotency = ticket;
          return handler.call(this, request, reply);
        },
        (payload) => responseOf(reply, payload),
      );
      return served instanceof Promise
        ? served.then((done) => replayed(request, reply, done))
        : replayed(request, reply, served);
    };
  });

  /** A replay is answered here: nothing for Fastify to send. */
  function replayed<T>(request: FastifyRequest, reply: FastifyReply, served: T | Replay): T | undefined {
    if (!(served instanceof Replay)) return served;
    const { response } = served;
    // The handler, which labels its request for the latency metric, does not run for a replay.
    app.labelRequest(request);
    metrics.idempotentReplays.inc();
    reply
      .code(response.statusCode)
      .header('content-type', JSON_TYPE)
      .header(REPLAYED_HEADER, 'true')
      .send(response.payload);
  }
};

/** A success is replayed; the handler answers it with the JSON string it returns. */
function responseOf(reply: FastifyReply, payload: unknown): StoredResponse | undefined {
  if (reply.statusCode < 300 && typeof payload === 'string') return { statusCode: reply.statusCode, payload };
}

// After auth: a key is scoped to the caller's API key, so two tenants never share one. After metrics,
// which counts the replays.
export default fp(idempotency, { name: 'idempotency', fastify: '5.x', dependencies: ['auth', 'metrics'] });
