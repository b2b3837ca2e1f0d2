import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { ignorePressure } from '../plugins/external/under-pressure.js';
import type { CountsSink } from '../sinks/counts-sink.js';
import type { FlowStore } from '../store/flow-store.js';

export interface HealthRoutesOptions {
  store: FlowStore;
  sink?: CountsSink;
  /** A ping slower than this counts as a failure, so a hung database cannot hang the probe. */
  pingTimeoutMs: number;
}

// Probes are answered under load and without a key: orchestrators must see the truth, and need no secret.
const probe = { scope: 'open', rateLimit: false, pressureHandler: ignorePressure } as const;

const SinkState = Type.Object(
  {
    kind: Type.String({ description: '"file" or "kafka"' }),
    kafkaConnected: Type.Optional(Type.Boolean()),
    breaker: Type.Optional(Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')])),
    spoolSize: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { description: 'counts sink state; informative only, never makes the service unready' },
);

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unready')]),
  store: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  sink: SinkState,
});

const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, { store, sink, pingTimeoutMs }) => {
  app.get(
    '/health',
    {
      config: probe,
      schema: {
        summary: 'Liveness: the process answers HTTP',
        description: 'Cheap; touches no dependency. Used by the Dockerfile and compose healthchecks.',
        tags: ['operations'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      config: probe,
      schema: {
        summary: 'Readiness: the store answers',
        description: '503 while the store cannot be reached. Kafka being down alone never makes it 503.',
        tags: ['operations'],
        response: {
          200: { ...Readiness, examples: [{ status: 'ready', store: 'up', sink: { kind: 'file' } }] },
          503: { ...Readiness, examples: [{ status: 'unready', store: 'down', sink: { kind: 'file' } }] },
        },
      },
    },
    async (request, reply) => {
      const sinkState = sink?.status?.() ?? { kind: sink ? 'unknown' : 'none' };
      try {
        await withTimeout(store.ping(), pingTimeoutMs);
        return { status: 'ready' as const, store: 'up' as const, sink: sinkState };
      } catch (err) {
        // The reason may name hosts or users: it goes to the log, not to the caller.
        request.log.warn({ err }, 'readiness: store ping failed');
        return reply.code(503).send({ status: 'unready', store: 'down', sink: sinkState });
      }
    },
  );
};

export default fp(healthRoutes, {
  name: 'health-routes',
  fastify: '5.x',
  encapsulate: true,
  dependencies: ['swagger', 'rate-limit'],
});

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`store ping took more than ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
