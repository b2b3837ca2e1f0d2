import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Series } from '../../metrics/fast-histogram.js';
import { FlowMetrics } from '../../metrics/flow-metrics.js';
import type { CountsSink } from '../../sinks/counts-sink.js';
import type { BreakerState, FlowStore, ObserveCommits } from '../../store/flow-store.js';
import type { StoreLimits } from '../../store/limits.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's Prometheus metrics; routes record what only they know (records and batches applied). */
    metrics: FlowMetrics;
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

/** Request latency and rejections for every route; the registry is served by routes/metrics.ts. */
const metricsPlugin: FastifyPluginAsync<MetricsOptions> = async (
  app,
  { store, sink, observeCommits, limits, storeBreaker },
) => {
  const metrics = new FlowMetrics(store, sink, observeCommits, limits, storeBreaker);
  app.decorate('metrics', metrics);

  // Callback-style hooks: they run on every request, and an async one would cost a promise each time.
  // Each (method, status, route) series is looked up once, then observed directly.
  const seriesOf = new Map<string, Series>();
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL, so label cardinality stays bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let series = seriesOf.get(key);
    if (!series) {
      series = metrics.requestDuration.series({ method: request.method, route, status_code: reply.statusCode });
      seriesOf.set(key, series);
    }
    series.observe(reply.elapsedTime / 1000);
    done();
  });

  app.addHook('onError', (request, _reply, err, done) => {
    if (request.method === 'POST' && request.routeOptions.url === '/flows') {
      metrics.batchesRejected.inc({ reason: err.code ?? 'FLOWS_ERR_INTERNAL' });
    }
    done();
  });
};

export default fp(metricsPlugin, { name: 'metrics', fastify: '5.x' });
