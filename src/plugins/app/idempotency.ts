import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';
import { IdempotencyKeyInvalidError, IdempotencyMismatchError } from '../../errors.js';
import { bodyHash as hashBody } from '../../idempotency/body-hash.js';
import type { IdempotencyOutcome, IdempotencyStore, IdempotencyTicket } from '../../idempotency/idempotency-store.js';

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
}

export interface IdempotencyOptions {
  store: IdempotencyStore;
  ttlMs: number;
}

// Printable ASCII without spaces at the ends: what agents generate (UUIDs, ULIDs, hashes).
const VALID_KEY = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;

interface InFlight {
  bodyHash: string;
  done: Promise<void>;
  release: () => void;
}

/**
 * Idempotency-Key for routes with `config.idempotent`. A repeat of a completed request gets the stored
 * response without running again; a repeat of one still running in this instance waits for it.
 */
const idempotency: FastifyPluginAsync<IdempotencyOptions> = async (app, { store, ttlMs }) => {
  const inFlight = new Map<string, InFlight>();
  const { metrics } = app;
  app.decorateRequest('idempotency', undefined);

  // The handler is wrapped rather than hooked: a request without the header then costs one header
  // read, where a preHandler and an onSend hook would cost two hook runs on every request to the route.
  app.addHook('onRoute', (route) => {
    if (!route.config?.idempotent) return;
    const handler = route.handler;
    route.handler = function idempotentHandler(request, reply) {
      if (request.headers['idempotency-key'] === undefined) return handler.call(this, request, reply);
      return once(this, handler, request, reply);
    };
  });

  async function once(
    instance: FastifyInstance,
    handler: RouteHandlerMethod,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<unknown> {
    if (await claim(request, reply)) return reply;
    try {
      const payload = await handler.call(instance, request, reply);
      await record(request, reply, payload);
      return payload;
    } finally {
      // Success or failure, waiters may go: they find the recorded outcome, or apply the batch themselves.
      finish(request);
    }
  }

  /** Claims the key for this request (`request.idempotency`), or answers a repeat: then true. */
  async function claim(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const header = request.headers['idempotency-key'];
    if (typeof header !== 'string' || !VALID_KEY.test(header)) throw new IdempotencyKeyInvalidError();
    const key = `${request.apiKeyId ?? '-'}:${header}`;
    const bodyHash = hashBody(request.body);

    for (;;) {
      const running = inFlight.get(key);
      if (running) {
        if (running.bodyHash !== bodyHash) throw new IdempotencyMismatchError();
        await running.done;
        continue;
      }
      const outcome = await store.get(key);
      if (outcome) {
        replay(reply, outcome, bodyHash);
        metrics.idempotentReplays.inc();
        return true;
      }
      // Another repeat may have claimed the key while `get` was awaited.
      if (inFlight.has(key)) continue;
      let release = () => {};
      const done = new Promise<void>((resolve) => {
        release = resolve;
      });
      inFlight.set(key, { bodyHash, done, release });
      request.idempotency = { key, bodyHash, expiresAt: Date.now() + ttlMs };
      return false;
    }
  }

  /** Stores a success before it is sent, so that a repeat arriving after the answer finds it. */
  async function record(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
    const ticket = request.idempotency;
    if (ticket && reply.statusCode < 300 && typeof payload === 'string') {
      await store.put(ticket, { bodyHash: ticket.bodyHash, response: { statusCode: reply.statusCode, payload } });
    }
  }

  function finish(request: FastifyRequest): void {
    const key = request.idempotency?.key;
    const running = key === undefined ? undefined : inFlight.get(key);
    if (key === undefined || !running) return;
    inFlight.delete(key);
    running.release();
  }
};

function replay(reply: FastifyReply, outcome: IdempotencyOutcome, bodyHash: string): void {
  if (outcome.bodyHash !== bodyHash) throw new IdempotencyMismatchError();
  reply
    .code(outcome.response.statusCode)
    .header('content-type', 'application/json; charset=utf-8')
    .header('idempotent-replayed', 'true')
    .send(outcome.response.payload);
}

// After auth: a key is scoped to the caller's API key, so two tenants never share one. After metrics,
// which counts the replays.
export default fp(idempotency, { name: 'idempotency', fastify: '5.x', dependencies: ['auth', 'metrics'] });
