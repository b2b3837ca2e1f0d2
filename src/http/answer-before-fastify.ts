import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Puts `answered` in front of Fastify on the app's server: it answers a request straight from
 * node:http and returns true, or returns false and Fastify's request pipeline takes the request as
 * usual. For the common case of a route that costs less than Fastify's own work a request
 * (routes/flows/direct-post.ts). Once the app is closing, and for requests made with `inject`, Fastify
 * takes every request.
 */
export function answerBeforeFastify(
  app: FastifyInstance,
  answered: (request: IncomingMessage, response: ServerResponse) => boolean,
): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onReady', function putInFront(done) {
    const server = this.server;
    const listeners = server.listeners('request') as RequestListener[];
    if (listeners.length !== 1) {
      return done(new Error(`expected Fastify's one request listener on the server, found ${listeners.length}`));
    }
    const [fastify] = listeners;
    server.removeListener('request', fastify);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (closing || !answered(request, response)) fastify(request, response);
    });
    done();
  });
}
