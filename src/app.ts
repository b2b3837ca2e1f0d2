import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { ApiKeys } from './auth/api-keys.js';
import type { Config } from './config.js';
import { CountsRing } from './counts/counts-ring.js';
import { registerErrorHandlers } from './http/error-handler.js';
import { lazyRequestLogger } from './http/lazy-request-logger.js';
import { formatValidationError, validatorCompiler } from './http/validation.js';
import { MemoryIdempotencyStore } from './idempotency/memory.js';
import auth from './plugins/app/auth.js';
import idempotency from './plugins/app/idempotency.js';
import metrics from './plugins/app/metrics.js';
import rateLimit from './plugins/external/rate-limit.js';
import swagger from './plugins/external/swagger.js';
import underPressure from './plugins/external/under-pressure.js';
import countsRoute from './routes/counts.js';
import dashboardRoutes from './routes/dashboard.js';
import flowRoutes from './routes/flows/index.js';
import healthRoutes from './routes/health.js';
import hoursRoute from './routes/hours.js';
import metricsRoutes from './routes/metrics.js';
import topRoute from './routes/top.js';
import type { CountsSink } from './sinks/counts-sink.js';
import type { StoreBackend } from './store/flow-store.js';
import type { RotationScheduler } from './window/scheduler.js';

export type AppConfig = Pick<
  Config,
  | 'BODY_LIMIT'
  | 'MAX_BATCH_RECORDS'
  | 'PROTECT_METRICS'
  | 'PROTECT_DOCS'
  | 'DOCS_ENABLED'
  | 'RATE_LIMIT_MAX'
  | 'RATE_LIMIT_WINDOW_MS'
  | 'TRUST_PROXY'
  | 'SHED_MAX_EVENT_LOOP_DELAY_MS'
  | 'SHED_MAX_HEAP_USED_BYTES'
  | 'SHED_MAX_RSS_BYTES'
  | 'SHED_RETRY_AFTER_S'
  | 'IDEMPOTENCY_TTL_MS'
  | 'IDEMPOTENCY_MAX_KEYS'
  | 'REQUEST_TIMEOUT_MS'
  | 'HEADERS_TIMEOUT_MS'
  | 'CONNECTION_TIMEOUT_MS'
  | 'KEEP_ALIVE_TIMEOUT_MS'
  | 'COUNTS_RETENTION_HOURS'
>;

export interface AppDeps {
  config: AppConfig;
  /** The storage backend as openStore opened it; the scheduler drives its counter. */
  backend: Omit<StoreBackend, 'counter'>;
  logger: FastifyBaseLogger;
  /** Stopped on close, after in-flight requests, so the partial window is published. */
  scheduler?: RotationScheduler;
  sink?: CountsSink;
  /** Undefined: authentication is off. */
  apiKeys?: ApiKeys;
  /** The built dashboard page, served at `GET /`; undefined: no page. */
  dashboardDir?: string;
  /** False: every POST /flows goes through Fastify (tests compare both ways). Default: true. */
  directPosts?: boolean;
}

/** Builds the HTTP application; never listens (that is server.ts's job). */
export function buildApp(deps: AppDeps): FastifyInstance {
  const { config, backend, logger, scheduler, sink, apiKeys, dashboardDir, directPosts = true } = deps;
  const { store } = backend;
  const app = Fastify({
    // Not `loggerInstance`: given a logger, Fastify puts a 'finish' and an 'error' listener on every
    // response to log its completion, which this service does not log (see lazy-request-logger.ts).
    childLoggerFactory: lazyRequestLogger(logger),
    bodyLimit: config.BODY_LIMIT,
    schemaErrorFormatter: formatValidationError,
    // One log line per request would cost more than ingesting it; rejections and failures are logged.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.TRUST_PROXY,
    // Explicit, because Node's defaults let a client hold a connection and its memory for minutes.
    connectionTimeout: config.CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: {
      requestTimeout: config.REQUEST_TIMEOUT_MS,
      headersTimeout: config.HEADERS_TIMEOUT_MS,
      // Node enforces both deadlines only when it sweeps connections (every 30 s by default): sweep
      // often enough that a slow-loris body is cut off close to its deadline.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.HEADERS_TIMEOUT_MS / 2))),
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Fastify and its plugins log through `app.log`; requests through `request.log`, from the factory.
  app.log = logger;
  app.setValidatorCompiler(validatorCompiler);
  // JSON is the only body this API takes; anything else is a 415, not a confusing 400.
  app.removeContentTypeParser('text/plain');
  registerErrorHandlers(app);
  // Metrics first, so that every route is labelled with its pattern; then third-party plugins, our own
  // decorators, the routes. Each plugin names what must come before it (fastify-plugin `dependencies`),
  // so a wrong order fails at start-up.
  app.register(metrics, {
    store,
    sink,
    observeCommits: backend.observeCommits,
    storeBreaker: backend.breakerState,
    limits: backend.limits,
  });
  app.register(swagger, {
    enabled: config.DOCS_ENABLED,
    protect: config.PROTECT_DOCS,
    authEnabled: apiKeys !== undefined,
    rateLimited: config.RATE_LIMIT_MAX > 0,
  });
  app.register(underPressure, {
    maxEventLoopDelayMs: config.SHED_MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: config.SHED_MAX_HEAP_USED_BYTES,
    maxRssBytes: config.SHED_MAX_RSS_BYTES,
    retryAfterSeconds: config.SHED_RETRY_AFTER_S,
  });
  app.register(auth, { apiKeys });
  app.register(rateLimit, { max: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_MS });
  app.register(idempotency, {
    store: backend.idempotency ?? new MemoryIdempotencyStore(config.IDEMPOTENCY_MAX_KEYS),
    ttlMs: config.IDEMPOTENCY_TTL_MS,
  });
  app.register(healthRoutes, { store, sink, pingTimeoutMs: 2000, limits: backend.limits });
  app.register(metricsRoutes, { protect: config.PROTECT_METRICS });
  app.register(flowRoutes, {
    store,
    maxBatchRecords: config.MAX_BATCH_RECORDS,
    // A direct POST would not be counted against the caller's rate limit.
    directPosts: directPosts && config.RATE_LIMIT_MAX === 0,
  });
  app.register(hoursRoute, { store });
  app.register(topRoute, { store });
  app.register(countsRoute, {
    history: backend.countsHistory ?? new CountsRing(1, config.COUNTS_RETENTION_HOURS),
    retentionHours: config.COUNTS_RETENTION_HOURS,
  });
  if (dashboardDir) app.register(dashboardRoutes, { root: dashboardDir });

  app.addHook('onClose', async () => {
    await scheduler?.stop();
    await sink?.close();
    await store.close();
  });
  return app;
}
