import underPressure from '@fastify/under-pressure';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { OverloadedError } from '../errors.js';

export interface LoadSheddingOptions {
  /** Each bound: 0 turns its check off. */
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
  maxRssBytes: number;
  retryAfterSeconds: number;
}

/**
 * Past a bound, requests get a quick 503 with Retry-After instead of queueing until the process falls
 * over. Probes and /metrics opt out with `config.pressureHandler`, so the operator still sees why.
 */
const plugin: FastifyPluginAsync<LoadSheddingOptions> = async (app, options) => {
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    maxHeapUsedBytes: options.maxHeapUsedBytes,
    maxRssBytes: options.maxRssBytes,
    retryAfter: options.retryAfterSeconds,
    customError: OverloadedError,
  });
};

export const loadSheddingPlugin = fp(plugin, { name: 'flows-load-shedding', fastify: '5.x' });
