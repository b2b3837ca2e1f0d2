import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { RateLimitedError } from '../../errors.js';

export interface RateLimitOptions {
  /** Requests per window per caller; 0 turns rate limiting off. */
  max: number;
  windowMs: number;
}

/**
 * Per API key when authentication is on (the key, not the address, is the tenant: many agents share
 * a NAT), per client address when it is off.
 */
const plugin: FastifyPluginAsync<RateLimitOptions> = async (app, { max, windowMs }) => {
  if (max === 0) return;
  await app.register(rateLimit, {
    global: true,
    max,
    timeWindow: windowMs,
    // One bucket per caller; an LRU this size bounds memory against address scans.
    cache: 100_000,
    keyGenerator: (request) => (request.apiKeyId ? `key:${request.apiKeyId}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) => new RateLimitedError(context.after),
  });
};

// After auth, whose onRequest hook sets `request.apiKeyId` before the limit is counted.
export default fp(plugin, { name: 'rate-limit', fastify: '5.x', dependencies: ['auth'] });
