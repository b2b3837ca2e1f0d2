import { STATUS_CODES } from 'node:http';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import { MethodNotAllowedError } from '../errors.js';
import { trackAllowedMethods } from './allowed-methods.js';

type AnsweredError = FastifyError & { headers?: Record<string, string> };

/** The body every error answer has. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
}

export interface ErrorAnswer {
  body: ErrorBody;
  headers?: Record<string, string>;
}

/**
 * What a request that failed with `err` is answered, logged on `log`. Client mistakes keep their
 * message; unexpected failures are logged and answered without internals.
 */
export function answerError(err: AnsweredError, contentType: string | undefined, log: FastifyBaseLogger): ErrorAnswer {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
  const ours = typeof err.code === 'string' && err.code.startsWith('FLOWS_ERR_');
  if (status >= 500 && !ours) {
    log.error({ err }, 'request failed');
    return {
      body: {
        statusCode: 500,
        code: 'FLOWS_ERR_INTERNAL',
        error: STATUS_CODES[500] ?? 'Error',
        message: 'internal server error',
      },
    };
  }
  log[status >= 500 ? 'warn' : 'info']({ code: err.code, reason: err.message }, 'request rejected');
  return {
    headers: err.headers,
    body: {
      statusCode: status,
      code: err.code ?? 'FLOWS_ERR_BAD_REQUEST',
      error: STATUS_CODES[status] ?? 'Error',
      message:
        err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `unsupported content-type ${JSON.stringify(contentType ?? '')}: send application/json`
          : err.message,
    },
  };
}

/** Call before any route is added: a known path asked with the wrong method is a 405, not a 404. */
export function registerErrorHandlers(app: FastifyInstance): void {
  const allowedMethods = trackAllowedMethods(app);
  app.setErrorHandler((err: AnsweredError, request, reply) => {
    const { body, headers } = answerError(err, request.headers['content-type'], request.log);
    if (headers) reply.headers(headers);
    return reply.code(body.statusCode).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allow = allowedMethods(path);
    if (allow) {
      reply.header('allow', allow);
      throw new MethodNotAllowedError(request.method, path, allow);
    }
    return reply.code(404).send({
      statusCode: 404,
      code: 'FLOWS_ERR_NOT_FOUND',
      error: STATUS_CODES[404],
      message: `no route ${request.method} ${path}`,
    });
  });
}
