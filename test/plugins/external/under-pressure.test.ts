import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { build, record, testConfig } from '../../support/helper.js';

describe('load shedding', () => {
  // Any live process uses more than one byte of heap, so this bound is always exceeded: the service
  // is "overloaded" from its first memory sample on, with no need to actually starve the machine.
  const { app } = build({ config: { ...testConfig, SHED_MAX_HEAP_USED_BYTES: 1, SHED_RETRY_AFTER_S: 7 } });
  afterAll(() => app.close());

  test('past a bound, work is refused with 503 and Retry-After; probes and metrics still answer', async () => {
    // under-pressure samples memory once a second: poll (bounded) until the first sample is in.
    let res = await app.inject({ method: 'POST', url: '/flows', payload: [record()] });
    for (let i = 0; i < 50 && res.statusCode !== 503; i++) {
      await sleep(100);
      res = await app.inject({ method: 'POST', url: '/flows', payload: [record()] });
    }
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json()).toMatchObject({ statusCode: 503, code: 'FLOWS_ERR_OVERLOADED' });
    expect((await app.inject('/flows?hour=1')).statusCode).toBe(503);
    expect((await app.inject('/health')).statusCode).toBe(200);
    expect((await app.inject('/ready')).statusCode).toBe(200);
    expect((await app.inject('/metrics')).statusCode).toBe(200);
  });
});
