import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { ignorePressure } from '../http/route-config.js';
import type { FlowMetrics } from '../metrics/flow-metrics.js';

export interface MetricsOptions {
  metrics: FlowMetrics;
  /** `/metrics` needs a valid API key (any scope) when authentication is on. */
  protect: boolean;
}

const metricsPlugin: FastifyPluginAsync<MetricsOptions> = async (app, { metrics, protect }) => {
  // Callback-style hooks: they run on every request, and an async one would cost a promise each time.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.requestDuration.observe(
      {
        method: request.method,
        // The route pattern, never the raw URL, so label cardinality stays bounded.
        route: request.routeOptions.url ?? 'unmatched',
        status_code: reply.statusCode,
      },
      reply.elapsedTime / 1000,
    );
    if (reply.hasHeader('idempotent-replayed')) metrics.idempotentReplays.inc();
    done();
  });

  app.addHook('onError', (request, _reply, err, done) => {
    if (request.method === 'POST' && request.routeOptions.url === '/flows') {
      metrics.batchesRejected.inc({ reason: err.code ?? 'FLOWS_ERR_INTERNAL' });
    }
    done();
  });

  app.get(
    '/metrics',
    {
      config: { scope: protect ? 'any' : 'open', rateLimit: false, pressureHandler: ignorePressure },
      schema: {
        summary: 'Prometheus metrics',
        description: 'Prometheus text exposition format 0.0.4. See the README for every metric.',
        tags: ['operations'],
        produces: ['text/plain'],
        response: {
          200: Type.String({ description: 'metrics in Prometheus text format', examples: ['flows_held 42\n'] }),
        },
      },
    },
    async (_request, reply) => {
      reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
};

export const metricsRoutes = fp(metricsPlugin, { name: 'flows-metrics', fastify: '5.x' });
