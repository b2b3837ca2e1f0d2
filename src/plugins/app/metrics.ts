import type { IncomingMessage } from 'node:http';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { BreakerState } from '../../breaker-state.js';
import { FlowMetrics } from '../../metrics/flow-metrics.js';
import { label, RouteLatency, timeRequests } from '../../metrics/request-latency.js';
import type { CountsSink } from '../../sinks/counts-sink.js';
import type { FlowStore, ObserveCommits } from '../../store/flow-store.js';
import type { StoreLimits } from '../../store/limits.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's Prometheus metrics; routes record what only they know (records and batches applied). */
    metrics: FlowMetrics;
    /** Times the request under its route: for an answer a route's wrapper sends without its handler. */
    labelRequest(request: FastifyRequest): void;
    /** Times a request answered outside Fastify under the route pattern `route`. */
    labelRoute(request: IncomingMessage, route: string): void;
  }
}

export interface MetricsOptions {
  store: Pick<FlowStore, 'flowCount'>;
  sink: CountsSink | undefined;
  observeCommits: ObserveCommits | undefined;
  limits?: StoreLimits;
  /** The store's circuit breaker, when it has one. */
  storeBreaker?: () => BreakerState;
}

/**
 * Request latency and rejections for every route; the registry is served by routes/metrics.ts.
 * Register it before any route, so that every route is labelled.
 */
const metricsPlugin: FastifyPluginAsync<MetricsOptions> = async (
  app,
  { store, sink, observeCommits, limits, storeBreaker },
) => {
  const metrics = new FlowMetrics(store, sink, observeCommits, limits, storeBreaker);
  app.decorate('metrics', metrics);

  // The route pattern, never the raw URL, so label cardinality stays bounded.
  const routes = new Map<string, RouteLatency>();
  const routeLatency = (url: string | undefined) => {
    const route = url ?? 'unmatched';
    let latency = routes.get(route);
    if (!latency) {
      latency = new RouteLatency(metrics.requestDuration, route);
      routes.set(route, latency);
    }
    return latency;
  };
  const stop = timeRequests(app.server, routeLatency(undefined));
  app.addHook('onClose', async () => stop());

  // Each handler labels its request with its route as it starts; a request refused before its handler
  // runs is labelled by the onError hook, one a wrapper answers by `labelRequest`, one not found keeps
  // `unmatched`.
  app.addHook('onRoute', (route) => {
    const latency = routeLatency(route.url);
    const handler = route.handler;
    route.handler = function labelled(request, reply) {
      label(request.raw, latency);
      return handler.call(this, request, reply);
    };
  });

  const labelRequest = (request: FastifyRequest) => label(request.raw, routeLatency(request.routeOptions.url));
  app.decorate('labelRequest', labelRequest);
  app.decorate('labelRoute', (request: IncomingMessage, route: string) => label(request, routeLatency(route)));

  app.addHook('onError', (request, _reply, err, done) => {
    labelRequest(request);
    if (request.method === 'POST' && request.routeOptions.url === '/flows') metrics.rejectBatch(err.code);
    done();
  });
};

export default fp(metricsPlugin, { name: 'metrics', fastify: '5.x' });
