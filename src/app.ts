import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Config } from './config.js';
import { registerErrorHandlers } from './http/error-handler.js';
import { formatValidationError, validatorCompiler } from './http/validation.js';
import { flowRoutes } from './routes/flows.js';
import type { CountsSink } from './sinks/counts-sink.js';
import type { FlowStore } from './store/flow-store.js';
import type { RotationScheduler } from './window/scheduler.js';

export interface AppDeps {
  config: Pick<Config, 'BODY_LIMIT' | 'MAX_BATCH_RECORDS'>;
  store: FlowStore;
  logger: FastifyBaseLogger;
  /** Stopped on close, after in-flight requests, so the partial window is published. */
  scheduler?: RotationScheduler;
  sink?: CountsSink;
}

/** Builds the HTTP application; never listens (that is server.ts's job). */
export function buildApp({ config, store, logger, scheduler, sink }: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.BODY_LIMIT,
    schemaErrorFormatter: formatValidationError,
    // One log line per request would cost more than ingesting it; rejections and failures are logged.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // JSON is the only body this API takes; anything else is a 415, not a confusing 400.
  app.removeContentTypeParser('text/plain');
  registerErrorHandlers(app);
  app.register(flowRoutes, { store, maxBatchRecords: config.MAX_BATCH_RECORDS });

  app.addHook('onClose', async () => {
    await scheduler?.stop();
    await sink?.close();
    await store.close();
  });
  return app;
}
