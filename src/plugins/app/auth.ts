import type { IncomingMessage } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeys, Caller, KeyScope } from '../../auth/api-keys.js';
import { LastKeyByConnection } from '../../auth/last-key.js';
import { ForbiddenError, UnauthorizedError } from '../../errors.js';

/**
 * Who may call a route: `ingest` or `query` need a key with that scope, `any` any valid key, `open`
 * no key. A route that says nothing needs a valid key, so a route added later is never open by mistake.
 */
export type Scope = 'ingest' | 'query' | 'any' | 'open';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: Scope;
  }
  interface FastifyRequest {
    /** Id of the caller's API key (not the key), or null when authentication is off. */
    apiKeyId: string | null;
  }
  interface FastifyInstance {
    /**
     * For a request answered outside Fastify: the id of its API key when that key has `scope`, null
     * when authentication is off, undefined when the request would be refused.
     */
    keyIdFor(request: IncomingMessage, scope: KeyScope): string | null | undefined;
  }
}

export interface AuthOptions {
  /** Undefined: authentication is off and every route is open. */
  apiKeys: ApiKeys | undefined;
}

const BEARER = /^Bearer +(\S+) *$/i;

/** Checks `Authorization: Bearer <key>` against the route's `config.scope` before anything else runs. */
const auth: FastifyPluginAsync<AuthOptions> = async (app, { apiKeys }) => {
  app.decorateRequest('apiKeyId', null);
  if (!apiKeys) {
    app.decorate('keyIdFor', () => null);
    return;
  }

  const lastKeys = new LastKeyByConnection();
  app.decorate('keyIdFor', (request: IncomingMessage, scope: KeyScope) => {
    const caller = authenticate(apiKeys, lastKeys, request);
    return caller?.scopes.has(scope) ? caller.id : undefined;
  });

  // Callback-style: it runs on every request, and an async hook would cost a promise each time.
  app.addHook('onRequest', (request, reply, done) => {
    const scope: Scope = request.routeOptions.config?.scope ?? 'any';
    if (scope === 'open') return done();
    const caller = authenticate(apiKeys, lastKeys, request.raw);
    if (!caller) {
      reply.header('www-authenticate', 'Bearer');
      return done(new UnauthorizedError());
    }
    request.apiKeyId = caller.id;
    done(scope !== 'any' && !caller.scopes.has(scope) ? new ForbiddenError(scope) : undefined);
  });
};

function authenticate(apiKeys: ApiKeys, lastKeys: LastKeyByConnection, request: IncomingMessage): Caller | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const socket = request.socket;
  const known = lastKeys.recall(socket, header);
  if (known) return known;
  const match = BEARER.exec(header);
  const caller = match ? apiKeys.lookup(match[1]) : undefined;
  if (caller) lastKeys.remember(socket, header, caller);
  return caller;
}

// After load shedding: refusing an overloaded request is cheaper than checking its key.
export default fp(auth, { name: 'auth', fastify: '5.x', dependencies: ['under-pressure'] });
