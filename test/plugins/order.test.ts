import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { MemoryIdempotencyStore } from '../../src/idempotency/memory.js';
import auth from '../../src/plugins/app/auth.js';
import idempotency from '../../src/plugins/app/idempotency.js';
import rateLimit from '../../src/plugins/external/rate-limit.js';
import underPressure from '../../src/plugins/external/under-pressure.js';

const shedding = { maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0, maxRssBytes: 0, retryAfterSeconds: 1 };

// The order app.ts registers the plugins in is checked by fastify-plugin, not kept by comments.
describe('plugin order', () => {
  it.each([
    ['rate limiting before auth (it keys on the caller)', 'auth'],
    ['idempotency before auth (keys are scoped to the caller)', 'auth'],
    ['auth before load shedding (refusing is cheaper than checking a key)', 'under-pressure'],
  ])('refuses %s at start-up', async (name, missing) => {
    const app = Fastify();
    if (name.startsWith('rate')) app.register(rateLimit, { max: 1, windowMs: 1000 });
    if (name.startsWith('idempotency'))
      app.register(idempotency, { store: new MemoryIdempotencyStore(1), ttlMs: 1000 });
    if (name.startsWith('auth')) app.register(auth, { apiKeys: undefined });
    await expect(app.ready()).rejects.toMatchObject({
      code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED',
      message: expect.stringContaining(`'${missing}'`),
    });
  });

  it('starts in the order app.ts uses', async () => {
    const app = Fastify();
    app.register(underPressure, shedding);
    app.register(auth, { apiKeys: undefined });
    app.register(rateLimit, { max: 1, windowMs: 1000 });
    await expect(app.ready()).resolves.toBeDefined();
    await app.close();
  });
});
