import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { ignorePressure } from '../plugins/external/under-pressure.js';

export interface MetricsRoutesOptions {
  /** `/metrics` needs a valid API key (any scope) when authentication is on. */
  protect: boolean;
}

const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { protect }) => {
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
      reply.header('content-type', app.metrics.registry.contentType);
      return app.metrics.registry.metrics();
    },
  );
};

export default fp(metricsRoutes, {
  name: 'metrics-routes',
  fastify: '5.x',
  encapsulate: true,
  dependencies: ['swagger', 'rate-limit', 'metrics'],
});
