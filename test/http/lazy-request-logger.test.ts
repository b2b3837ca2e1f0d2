import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { lazyRequestLogger } from '../../src/http/lazy-request-logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

const quietApp = (logger: FastifyBaseLogger) =>
  Fastify({
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger(logger),
  });

describe('lazyRequestLogger', () => {
  test("a request's log lines carry its id, at the levels the logger lets through", async () => {
    const { lines, logger } = capture();
    const app = quietApp(logger);
    app.get('/', async (request) => {
      request.log.info({ step: 1 }, 'first');
      request.log.debug('not written at info');
      request.log.child({ part: 'x' }).warn('from a child');
      return { level: request.log.level };
    });
    const res = await app.inject('/');
    expect(res.json()).toEqual({ level: 'info' });
    expect(lines.map(({ msg, reqId, step, part }) => ({ msg, reqId, step, part }))).toEqual([
      { msg: 'first', reqId: 'req-1', step: 1, part: undefined },
      { msg: 'from a child', reqId: 'req-1', step: undefined, part: 'x' },
    ]);
    await app.close();
  });

  test("a route's log level applies to its requests", async () => {
    const { lines, logger } = capture();
    const app = quietApp(logger);
    app.get('/', { logLevel: 'debug' }, async (request) => {
      request.log.debug('written at debug');
      return { level: request.log.level };
    });
    expect((await app.inject('/')).json()).toEqual({ level: 'debug' });
    expect(lines.map(({ msg }) => msg)).toEqual(['written at debug']);
    await app.close();
  });

  test('setting the level makes the child and changes it', async () => {
    const { lines, logger } = capture();
    const app = quietApp(logger);
    app.get('/', async (request) => {
      request.log.level = 'error';
      request.log.warn('dropped');
      request.log.error('kept');
      return {};
    });
    await app.inject('/');
    expect(lines.map(({ msg }) => msg)).toEqual(['kept']);
    expect(logger.level).toBe('info');
    await app.close();
  });
});
