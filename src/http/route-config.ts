// For its route-config field `rateLimit` in FastifyContextConfig.
import type {} from '@fastify/rate-limit';
import type { IdempotencyTicket } from '../idempotency/idempotency-store.js';

/**
 * Who may call a route: `ingest` or `query` need a key with that scope, `any` any valid key, `open`
 * no key. A route that says nothing needs a valid key, so a route added later is never open by mistake.
 */
export type Scope = 'ingest' | 'query' | 'any' | 'open';

/** As a route's `config.pressureHandler`: load shedding must not blind probes and metrics. */
export const ignorePressure = (): undefined => undefined;

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: Scope;
    /** The route honours the Idempotency-Key header. */
    idempotent?: boolean;
    /**
     * Read by @fastify/under-pressure (not declared in its types): a handler that returns nothing lets
     * the request through, which is how probes and /metrics opt out of load shedding.
     */
    pressureHandler?: () => undefined;
  }
  interface FastifyRequest {
    /** Id of the caller's API key (not the key), or null when authentication is off. */
    apiKeyId: string | null;
    /** Set when this request owns an Idempotency-Key and must record it with its batch. */
    idempotency: IdempotencyTicket | undefined;
  }
}
