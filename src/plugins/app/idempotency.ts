import { createHash } from 'node:crypto';
import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onSendHookHandler,
  preHandlerHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import { IdempotencyKeyInvalidError, IdempotencyMismatchError } from '../../errors.js';
import type { IdempotencyOutcome, IdempotencyStore, IdempotencyTicket } from '../../idempotency/idempotency-store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route honours the Idempotency-Key header. */
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
  app.decorateRequest('idempotency', undefined);

  // Hooks only on idempotent routes, and callback-style so a request without the header costs no promise.
  app.addHook('onRoute', (route) => {
    if (!route.config?.idempotent) return;
    route.preHandler = [...hookList(route.preHandler), preHandler];
    route.onSend = [...hookList(route.onSend), onSend];
  });

  const preHandler: preHandlerHookHandler = (request, reply, done) => {
    if (request.headers['idempotency-key'] === undefined) return done();
    claim(request, reply).then(() => done(), done);
  };

  const onSend: onSendHookHandler<unknown> = (request, reply, payload, done) => {
    if (!request.idempotency) return done(null, payload);
    record(request, reply, payload).then(() => done(null, payload), done);
  };

  async function claim(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers['idempotency-key'];
    if (typeof header !== 'string' || !VALID_KEY.test(header)) throw new IdempotencyKeyInvalidError();
    const key = `${request.apiKeyId ?? '-'}:${header}`;
    const bodyHash = createHash('sha256').update(canonicalBody(request.body)).digest('hex');

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
        return;
      }
      // Another repeat may have claimed the key while `get` was awaited.
      if (inFlight.has(key)) continue;
      let release = () => {};
      const done = new Promise<void>((resolve) => {
        release = resolve;
      });
      inFlight.set(key, { bodyHash, done, release });
      request.idempotency = { key, bodyHash, expiresAt: Date.now() + ttlMs };
      return;
    }
  }

  // onSend runs once the handler is done, success or error: record a success, then let waiters go.
  async function record(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
    const ticket = request.idempotency;
    if (!ticket) return;
    try {
      if (reply.statusCode < 300 && typeof payload === 'string') {
        await store.put(ticket, { bodyHash: ticket.bodyHash, response: { statusCode: reply.statusCode, payload } });
      }
    } finally {
      finish(request);
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

function replay(reply: FastifyReply, outcome: IdempotencyOutcome, bodyHash: string): FastifyReply {
  if (outcome.bodyHash !== bodyHash) throw new IdempotencyMismatchError();
  return reply
    .code(outcome.response.statusCode)
    .header('content-type', 'application/json; charset=utf-8')
    .header('idempotent-replayed', 'true')
    .send(outcome.response.payload);
}

/**
 * Hashing the parsed body makes a retry with different whitespace the same request, as it should be.
 * POST /flows hands its body over as raw bytes; a body that is not JSON is hashed as it is (it gets a 400).
 */
function canonicalBody(body: unknown): string | Buffer {
  if (body === undefined) return '';
  if (!Buffer.isBuffer(body)) return JSON.stringify(body);
  try {
    return JSON.stringify(JSON.parse(body.toString('utf8')));
  } catch {
    return body;
  }
}

function hookList<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

// After auth: a key is scoped to the caller's API key, so two tenants never share one.
export default fp(idempotency, { name: 'idempotency', fastify: '5.x', dependencies: ['auth'] });
