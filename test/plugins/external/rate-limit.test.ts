import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApiKeys } from '../../../src/auth/api-keys.js';
import { build, record, testConfig } from '../../support/helper.js';

const A = 'agent-a-0123456789abcdef';
const B = 'agent-b-0123456789abcdef';

describe('rate limiting over real HTTP', () => {
  const { app } = build({
    apiKeys: new ApiKeys({ ingest: [A, B], query: [A, B] }),
    config: { ...testConfig, RATE_LIMIT_MAX: 3, RATE_LIMIT_WINDOW_MS: 60_000 },
  });
  let base: string;
  beforeAll(async () => {
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  const post = (key: string) =>
    fetch(`${base}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify([record()]),
    });

  test('the request past the limit gets 429 with Retry-After; another key has its own budget', async () => {
    for (let i = 0; i < 3; i++) expect((await post(A)).status).toBe(200);
    const limited = await post(A);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ statusCode: 429, code: 'FLOWS_ERR_RATE_LIMITED' });
    expect((await post(B)).status).toBe(200);
  });

  test('probes and metrics are never rate limited', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
    }
  });

  test('rejected requests show in the metrics by reason', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^flows_batches_rejected_total\{reason="FLOWS_ERR_RATE_LIMITED"\} [1-9]/m);
  });
});

describe('rate limiting without authentication', () => {
  const { app } = build({ config: { ...testConfig, RATE_LIMIT_MAX: 2, RATE_LIMIT_WINDOW_MS: 60_000 } });
  afterAll(() => app.close());

  test('counts per client address', async () => {
    const get = (ip: string) => app.inject({ url: '/flows?hour=1', remoteAddress: ip });
    expect((await get('10.1.1.1')).statusCode).toBe(200);
    expect((await get('10.1.1.1')).statusCode).toBe(200);
    const limited = await get('10.1.1.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await get('10.1.1.2')).statusCode).toBe(200);
  });
});
