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

/** A claimed key whose request is still running here; repeats with the same body wait for it. */
interface InFlight {
  bodyHash: string;
  /** Created only when a repeat arrives while the first is running: most keys are never repeated. */
  waiters: (() => void)[] | undefined;
}

/**
 * Idempotency-Key for routes with `config.idempotent`. A repeat of a completed request gets the stored
 * response without running again; a repeat of one still running in this instance waits for it.
 *
 * With an in-memory store a new key costs no promise of its own: claiming and recording run
 * synchronously, and only a store that answers with a promise (PostgreSQL) or a repeat that must wait
 * takes another turn.
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
      const header = request.headers['idempotency-key'];
      if (header === undefined) return handler.call(this, request, reply);
      const replayed = claim(request, reply, header);
      if (replayed === true) return undefined;
      if (replayed === false) return run(this, handler, request, reply);
      return replayed.then((done) => (done ? reply : run(this, handler, request, reply)));
    };
  });

  async function run(
    instance: FastifyInstance,
    handler: RouteHandlerMethod,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<unknown> {
    try {
      const payload = await handler.call(instance, request, reply);
      const recording = record(request, reply, payload);
      if (recording) await recording;
      return payload;
    } finally {
      // Success or failure, waiters may go: they find the recorded outcome, or apply the batch themselves.
      finish(request);
    }
  }

  /** Claims the key for this request (`request.idempotency`), or answers a repeat: then true. */
  function claim(request: FastifyRequest, reply: FastifyReply, header: string | string[]): boolean | Promise<boolean> {
    if (typeof header !== 'string' || !VALID_KEY.test(header)) throw new IdempotencyKeyInvalidError();
    return claimKey(request, reply, `${request.apiKeyId ?? '-'}:${header}`, hashBody(request.body));
  }

  function claimKey(
    request: FastifyRequest,
    reply: FastifyReply,
    key: string,
    bodyHash: string,
  ): boolean | Promise<boolean> {
    const running = inFlight.get(key);
    if (running) {
      if (running.bodyHash !== bodyHash) throw new IdempotencyMismatchError();
      const over = new Promise<void>((resolve) => {
        running.waiters ??= [];
        running.waiters.push(resolve);
      });
      return over.then(() => claimKey(request, reply, key, bodyHash));
    }
    const outcome = store.get(key);
    if (!(outcome instanceof Promise)) return settle(request, reply, key, bodyHash, outcome);
    return outcome.then((found) =>
      // Another repeat may have claimed the key while `get` was awaited.
      !found && inFlight.has(key)
        ? claimKey(request, reply, key, bodyHash)
        : settle(request, reply, key, bodyHash, found),
    );
  }

  function settle(
    request: FastifyRequest,
    reply: FastifyReply,
    key: string,
    bodyHash: string,
    outcome: IdempotencyOutcome | undefined,
  ): boolean {
    if (outcome) {
      // The handler, which labels its request for the latency metric, does not run for a replay.
      app.labelRequest(request);
      replay(reply, outcome, bodyHash);
      metrics.idempotentReplays.inc();
      return true;
    }
    inFlight.set(key, { bodyHash, waiters: undefined });
    request.idempotency = { key, bodyHash, expiresAt: Date.now() + ttlMs };
    return false;
  }

  /** Stores a success before it is sent, so that a repeat arriving after the answer finds it. */
  function record(request: FastifyRequest, reply: FastifyReply, payload: unknown): void | Promise<void> {
    const ticket = request.idempotency;
    if (ticket && reply.statusCode < 300 && typeof payload === 'string') {
      return store.put(ticket, { bodyHash: ticket.bodyHash, response: { statusCode: reply.statusCode, payload } });
    }
  }

  function finish(request: FastifyRequest): void {
    const key = request.idempotency?.key;
    const running = key === undefined ? undefined : inFlight.get(key);
    if (key === undefined || !running) return;
    inFlight.delete(key);
    if (running.waiters) for (const wake of running.waiters) wake();
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
