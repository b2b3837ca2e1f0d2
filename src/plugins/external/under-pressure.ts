import underPressure from '@fastify/under-pressure';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { OverloadedError } from '../../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Read by @fastify/under-pressure (not declared in its types): a handler that returns nothing lets
     * the request through, which is how probes and /metrics opt out of load shedding.
     */
    pressureHandler?: () => undefined;
  }
}

/** As a route's `config.pressureHandler`: load shedding must not blind probes and metrics. */
export const ignorePressure = (): undefined => undefined;

export interface UnderPressureOptions {
  /** Each bound: 0 turns its check off. */
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
  maxRssBytes: number;
  retryAfterSeconds: number;
}

/**
 * Load shedding: past a bound, requests get a quick 503 with Retry-After instead of queueing until the
 * process falls over. Probes and /metrics opt out with `config.pressureHandler`, so the operator still
 * sees why.
 */
const plugin: FastifyPluginAsync<UnderPressureOptions> = async (app, options) => {
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    maxHeapUsedBytes: options.maxHeapUsedBytes,
    maxRssBytes: options.maxRssBytes,
    retryAfter: options.retryAfterSeconds,
    customError: OverloadedError,
  });
};

export default fp(plugin, { name: 'under-pressure', fastify: '5.x' });
