import { mkdtemp, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApiKeys, loadApiKeys } from '../../../src/auth/api-keys.js';
import { ConfigError } from '../../../src/config.js';
import { build, record, testConfig } from '../../support/helper.js';

const INGEST = 'ingest-key-0123456789abcdef';
const QUERY = 'query-key-0123456789abcdef';
const BOTH = 'both-key-0123456789abcdef';
const UNKNOWN = 'nobody-key-0123456789abcdef';

const keys = new ApiKeys({ ingest: [INGEST, BOTH], query: [QUERY, BOTH] });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API keys over HTTP', () => {
  const { app } = build({ apiKeys: keys });
  afterAll(() => app.close());

  const post = (headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/flows', payload: [record()], headers });
  const get = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/flows?hour=1', headers });

  test.each([
    { name: 'no key', headers: {}, post: 401, get: 401 },
    { name: 'unknown key', headers: bearer(UNKNOWN), post: 401, get: 401 },
    { name: 'not a bearer token', headers: { authorization: `Basic ${INGEST}` }, post: 401, get: 401 },
    { name: 'ingest key', headers: bearer(INGEST), post: 200, get: 403 },
    { name: 'query key', headers: bearer(QUERY), post: 403, get: 200 },
    { name: 'key with both scopes', headers: bearer(BOTH), post: 200, get: 200 },
  ])('$name: POST $post, GET $get', async ({ headers, post: postStatus, get: getStatus }) => {
    expect((await post(headers)).statusCode).toBe(postStatus);
    expect((await get(headers)).statusCode).toBe(getStatus);
  });

  test('a missing and a wrong key get the same answer, which names no key', async () => {
    const missing = await post({});
    const wrong = await post(bearer(UNKNOWN));
    expect(missing.json()).toEqual(wrong.json());
    expect(missing.json()).toMatchObject({ statusCode: 401, code: 'FLOWS_ERR_UNAUTHORIZED' });
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    const forbidden = await get(bearer(INGEST));
    expect(forbidden.json()).toMatchObject({ statusCode: 403, code: 'FLOWS_ERR_FORBIDDEN' });
    for (const res of [missing, wrong, forbidden]) {
      for (const key of [INGEST, QUERY, BOTH, UNKNOWN]) expect(res.body).not.toContain(key);
    }
  });

  test('/health, /ready, /metrics and /docs are open by default; unknown routes are not', async () => {
    for (const url of ['/health', '/ready', '/metrics', '/docs/json', '/docs']) {
      expect((await app.inject(url)).statusCode, url).toBeLessThan(400);
    }
    expect((await app.inject('/admin')).statusCode).toBe(401);
  });
});

describe('API keys on one keep-alive connection', () => {
  const { app } = build({ apiKeys: keys });
  afterAll(() => app.close());

  // The key a connection presented last is recognised without hashing it again: switching keys, or
  // sending a wrong one, on the same connection must still get each its own answer.
  test('each request is judged by its own key', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            port,
            host: '127.0.0.1',
            method: 'POST',
            path: '/flows',
            agent,
            headers: { ...headers, 'content-type': 'application/json' },
          },
          (res) => {
            sockets.add(req.socket);
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify([record()]));
      });
    const statuses = [];
    for (const headers of [bearer(INGEST), bearer(INGEST), bearer(UNKNOWN), {}, bearer(QUERY), bearer(INGEST)]) {
      statuses.push(await post(headers));
    }
    agent.destroy();
    expect(statuses).toEqual([200, 200, 401, 401, 403, 200]);
    expect(sockets.size).toBe(1);
  });
});

describe('PROTECT_METRICS and PROTECT_DOCS', () => {
  const { app } = build({ apiKeys: keys, config: { ...testConfig, PROTECT_METRICS: true, PROTECT_DOCS: true } });
  afterAll(() => app.close());

  test.each(['/metrics', '/docs/json', '/docs'])('%s needs a valid key of any scope', async (url) => {
    expect((await app.inject(url)).statusCode).toBe(401);
    expect((await app.inject({ url, headers: bearer(UNKNOWN) })).statusCode).toBe(401);
    expect((await app.inject({ url, headers: bearer(INGEST) })).statusCode).toBeLessThan(400);
    expect((await app.inject({ url, headers: bearer(QUERY) })).statusCode).toBeLessThan(400);
  });

  test('/health stays open', async () => {
    expect((await app.inject('/health')).statusCode).toBe(200);
  });
});

describe('authentication off', () => {
  const { app } = build();
  afterAll(() => app.close());

  test('every route answers without a key', async () => {
    expect((await app.inject({ method: 'POST', url: '/flows', payload: [record()] })).statusCode).toBe(200);
    expect((await app.inject('/flows?hour=1')).statusCode).toBe(200);
  });
});

describe('loadApiKeys', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flows-keys-'));
  });

  test('no key configured: undefined (authentication off)', () => {
    expect(loadApiKeys({})).toBeUndefined();
  });

  test('keys from the environment and a file are merged', async () => {
    const file = join(dir, 'keys.json');
    await writeFile(file, JSON.stringify({ query: [QUERY] }));
    const loaded = loadApiKeys({ API_KEYS_INGEST: ` ${INGEST} ,${BOTH}`, API_KEYS_FILE: file });
    expect(loaded?.lookup(INGEST)?.scopes).toEqual(new Set(['ingest']));
    expect(loaded?.lookup(QUERY)?.scopes).toEqual(new Set(['query']));
    expect(loaded?.lookup(UNKNOWN)).toBeUndefined();
  });

  test('a short key, a missing or malformed file stop start-up with a message', async () => {
    expect(() => loadApiKeys({ API_KEYS_QUERY: 'short' })).toThrow(ConfigError);
    expect(() => loadApiKeys({ API_KEYS_FILE: join(dir, 'missing.json') })).toThrow(/API_KEYS_FILE/);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ ingest: 'not-a-list' }));
    expect(() => loadApiKeys({ API_KEYS_FILE: bad })).toThrow(/API_KEYS_FILE must hold/);
  });

  test('the id used in logs and rate limits is not the key', () => {
    const id = keys.lookup(INGEST)?.id;
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(INGEST).not.toContain(id);
  });
});
