import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import { MethodNotAllowedError } from '../errors.js';
import { trackAllowedMethods } from './allowed-methods.js';

/**
 * Client mistakes keep their message; unexpected failures are logged and answered without internals.
 * Call before any route is added: a known path asked with the wrong method is a 405, not a 404.
 */
export function registerErrorHandlers(app: FastifyInstance): void {
  const allowedMethods = trackAllowedMethods(app);
  app.setErrorHandler((err: FastifyError & { headers?: Record<string, string> }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    const ours = typeof err.code === 'string' && err.code.startsWith('FLOWS_ERR_');
    if (status >= 500 && !ours) {
      request.log.error({ err }, 'request failed');
      return reply.code(500).send({
        statusCode: 500,
        code: 'FLOWS_ERR_INTERNAL',
        error: STATUS_CODES[500],
        message: 'internal server error',
      });
    }
    request.log[status >= 500 ? 'warn' : 'info']({ code: err.code, reason: err.message }, 'request rejected');
    if (err.headers) reply.headers(err.headers);
    return reply.code(status).send({
      statusCode: status,
      code: err.code ?? 'FLOWS_ERR_BAD_REQUEST',
      error: STATUS_CODES[status] ?? 'Error',
      message:
        err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `unsupported content-type ${JSON.stringify(request.headers['content-type'] ?? '')}: send application/json`
          : err.message,
    });
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
