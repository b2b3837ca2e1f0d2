import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync, FastifySchema, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import {
  ForbiddenError,
  IdempotencyInFlightError,
  IdempotencyKeyInvalidError,
  IdempotencyMismatchError,
  InternalError,
  OverloadedError,
  RateLimitedError,
  UnauthorizedError,
} from '../../errors.js';
import { addErrorResponse, exampleOf } from '../../schemas/error-responses.js';

export interface SwaggerOptions {
  /** Swagger UI and the document are served at all. */
  enabled: boolean;
  /** They need a valid API key (any scope) when authentication is on. */
  protect: boolean;
  authEnabled: boolean;
  rateLimited: boolean;
}

/**
 * Adds to the document, and only to it, what hooks do to a route: authentication, rate limiting, load
 * shedding and Idempotency-Key, each status with its own entry and examples. Validation stays as the
 * route declares it, so the hot path pays nothing.
 */
function documentHooks(options: SwaggerOptions) {
  return ({ schema, route }: { schema: FastifySchema; route: RouteOptions }) => {
    const config = route.config ?? {};
    const open = !options.authEnabled || config.scope === 'open';
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries((schema.response ?? {}) as Record<string, object>)) {
      // Without one, the generator writes "Default Response", which tells a reader nothing.
      responses[status] = 'description' in response ? response : { ...response, description: schema.summary };
    }
    if (!open) {
      addErrorResponse(responses, 401, 'missing or invalid API key', exampleOf(new UnauthorizedError()));
      if (config.scope === 'ingest' || config.scope === 'query') {
        addErrorResponse(
          responses,
          403,
          `the key lacks the "${config.scope}" scope`,
          exampleOf(new ForbiddenError(config.scope)),
        );
      }
    }
    const extra: FastifySchema = {};
    if (config.idempotent) {
      addErrorResponse(responses, 400, 'a malformed Idempotency-Key', exampleOf(new IdempotencyKeyInvalidError()));
      addErrorResponse(
        responses,
        409,
        'persistent store only: the same Idempotency-Key is being applied by another instance; retry',
        exampleOf(new IdempotencyInFlightError()),
      );
      addErrorResponse(
        responses,
        422,
        'an Idempotency-Key reused with a different body',
        exampleOf(new IdempotencyMismatchError()),
      );
      extra.headers = {
        type: 'object',
        properties: {
          'idempotency-key': {
            type: 'string',
            minLength: 1,
            maxLength: 255,
            description: 'A repeat within the retention window gets the first response and is not applied again',
            examples: ['3f2c9a4e-0c1b-4d7e-9a55-2b8f1f0e6d21'],
          },
        },
      };
    }
    if (options.rateLimited && config.rateLimit !== false) {
      addErrorResponse(
        responses,
        429,
        'rate limit exceeded; see Retry-After',
        exampleOf(new RateLimitedError('1 minute')),
      );
    }
    addErrorResponse(
      responses,
      500,
      "a failure that is not the client's fault; the details go to the log only",
      exampleOf(new InternalError()),
    );
    if (config.pressureHandler === undefined) {
      addErrorResponse(responses, 503, 'overloaded (load shedding); see Retry-After', exampleOf(new OverloadedError()));
    }
    return {
      schema: { ...schema, ...extra, response: responses, ...(open ? { security: [] } : {}) },
      url: route.url,
    };
  };
}

const docs: FastifyPluginAsync<SwaggerOptions> = async (app, options) => {
  if (!options.enabled) return;
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Flow aggregation service',
        description: 'Sums bytes per flow (src_app, dest_app, vpc_id) per hour. See the README for operations.',
        version: '0.1.0',
      },
      tags: [
        { name: 'flows', description: 'write flow records, read the totals of an hour' },
        { name: 'queries', description: 'ranges of hours, top talkers, minute counts' },
        { name: 'operations', description: 'health, readiness, metrics' },
      ],
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API key: Bearer <key>' } },
      },
      ...(options.authEnabled ? { security: [{ apiKey: [] }] } : {}),
    },
    transform: documentHooks(options),
  });
  // The UI's routes get their scope here, since their declarations are not ours to edit.
  await app.register(async (ui) => {
    ui.addHook('onRoute', (route) => {
      route.config = { ...route.config, scope: options.protect ? 'any' : 'open' };
    });
    await ui.register(swaggerUi, { routePrefix: '/docs' });
  });
};

/** The OpenAPI document and Swagger UI. Routes register after it, so it sees every one of them. */
export default fp(docs, { name: 'swagger', fastify: '5.x' });
