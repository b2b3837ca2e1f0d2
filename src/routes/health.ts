import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { ignorePressure } from '../plugins/external/under-pressure.js';
import type { CountsSink } from '../sinks/counts-sink.js';
import type { FlowStore } from '../store/flow-store.js';
import type { StoreLimits } from '../store/limits.js';
import { withTimeout } from '../with-timeout.js';

export interface HealthRoutesOptions {
  store: FlowStore;
  sink?: CountsSink;
  /** Retention and capacity, reported as they are; a full store stays ready (see Capacity). */
  limits?: StoreLimits;
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

const Capacity = Type.Object(
  {
    state: Type.Union([Type.Literal('ok'), Type.Literal('high'), Type.Literal('full')], {
      description:
        '"high" from 80 % of a bound; "full" once reached: new flows are refused (507), existing ones still accepted',
    }),
    flows: Type.Integer({ minimum: 0 }),
    max_flows: Type.Integer({ minimum: 1 }),
    name_bytes: Type.Integer({ minimum: 0 }),
    max_name_bytes: Type.Integer({ minimum: 1 }),
  },
  { description: 'in-memory store only: its bounds (MAX_FLOWS, MAX_NAME_BYTES); informative, never makes it 503' },
);

const Retention = Type.Object(
  {
    retention_hours: Type.Integer({ minimum: 0 }),
    newest_hour: Type.Union([Type.Integer(), Type.Null()]),
    oldest_hour_kept: Type.Union([Type.Integer(), Type.Null()]),
    expired_total: Type.Integer({ minimum: 0 }),
  },
  { description: 'when RETENTION_HOURS is set: older hours are dropped and refused' },
);

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unready')]),
  store: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  sink: SinkState,
  capacity: Type.Optional(Capacity),
  retention: Type.Optional(Retention),
});

const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (
  app,
  { store, sink, limits, pingTimeoutMs },
) => {
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
      const bounds = limits?.limits();
      try {
        await withTimeout(store.ping(), pingTimeoutMs, 'store ping');
        return { status: 'ready' as const, store: 'up' as const, sink: sinkState, ...bounds };
      } catch (err) {
        // The reason may name hosts or users: it goes to the log, not to the caller.
        request.log.warn({ err }, 'readiness: store ping failed');
        return reply.code(503).send({ status: 'unready', store: 'down', sink: sinkState, ...bounds });
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
