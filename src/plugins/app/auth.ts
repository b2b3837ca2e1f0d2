import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeys } from '../../auth/api-keys.js';
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
}

export interface AuthOptions {
  /** Undefined: authentication is off and every route is open. */
  apiKeys: ApiKeys | undefined;
}

const BEARER = /^Bearer +(\S+) *$/i;

/** Checks `Authorization: Bearer <key>` against the route's `config.scope` before anything else runs. */
const auth: FastifyPluginAsync<AuthOptions> = async (app, { apiKeys }) => {
  app.decorateRequest('apiKeyId', null);
  if (!apiKeys) return;

  app.addHook('onRequest', async (request, reply) => {
    const scope: Scope = request.routeOptions.config?.scope ?? 'any';
    if (scope === 'open') return;
    const caller = authenticate(apiKeys, request);
    if (!caller) {
      reply.header('www-authenticate', 'Bearer');
      throw new UnauthorizedError();
    }
    request.apiKeyId = caller.id;
    if (scope !== 'any' && !caller.scopes.has(scope)) throw new ForbiddenError(scope);
  });
};

function authenticate(apiKeys: ApiKeys, request: FastifyRequest) {
  const match = BEARER.exec(request.headers.authorization ?? '');
  return match ? apiKeys.lookup(match[1]) : undefined;
}

// After load shedding: refusing an overloaded request is cheaper than checking its key.
export default fp(auth, { name: 'auth', fastify: '5.x', dependencies: ['under-pressure'] });
