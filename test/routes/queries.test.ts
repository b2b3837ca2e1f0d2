import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/auth/api-keys.js';
import { expectValidationError } from '../support/expect-error.js';
import { build, record } from '../support/helper.js';

const MAX = Number.MAX_SAFE_INTEGER;

describe('GET /hours and GET /flows/top over HTTP', () => {
  const { app, store } = build();
  const get = (url: string) => app.inject({ method: 'GET', url });
  beforeAll(async () => {
    await store.ingest([
      record({ src_app: 'a', dest_app: 'x', bytes_tx: 10, bytes_rx: 1 }),
      record({ src_app: 'b', dest_app: 'x', bytes_tx: 1, bytes_rx: 20 }),
      record({ src_app: 'c', dest_app: 'y', bytes_tx: 5, bytes_rx: 5, hour: 2 }),
      record({ src_app: 'big', dest_app: 'd1', bytes_tx: MAX, bytes_rx: 0, hour: 3 }),
      record({ src_app: 'big', dest_app: 'd2', bytes_tx: MAX, bytes_rx: 0, hour: 3 }),
    ]);
  });
  afterAll(() => app.close());

  it('GET /hours answers each hour with flows, ascending, with the range echoed', async () => {
    const res = await get('/hours?from_hour=0&to_hour=2');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      from_hour: 0,
      to_hour: 2,
      hours: [
        { hour: 1, flows: 2, bytes_tx: 11, bytes_rx: 21 },
        { hour: 2, flows: 1, bytes_tx: 5, bytes_rx: 5 },
      ],
    });
  });

  it('GET /flows/top applies the defaults: by src_app, metric bytes, limit 10', async () => {
    const res = await get('/flows/top?from_hour=1&to_hour=2');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      from_hour: 1,
      to_hour: 2,
      by: ['src_app'],
      metric: 'bytes',
      limit: 10,
      rows: [
        { src_app: 'b', bytes_tx: 1, bytes_rx: 20, bytes: 21, flows: 1 },
        { src_app: 'a', bytes_tx: 10, bytes_rx: 1, bytes: 11, flows: 1 },
        { src_app: 'c', bytes_tx: 5, bytes_rx: 5, bytes: 10, flows: 1 },
      ],
      other: { groups: 0, bytes_tx: 0, bytes_rx: 0, bytes: 0, flows: 0 },
      total: { groups: 3, bytes_tx: 16, bytes_rx: 26, bytes: 42, flows: 3 },
    });
  });

  it('takes by comma-separated or repeated, filters repeated, and sums the rest into other', async () => {
    const comma = await get('/flows/top?from_hour=1&to_hour=2&by=dest_app,src_app&metric=bytes_tx&limit=1');
    const repeated = await get('/flows/top?from_hour=1&to_hour=2&by=dest_app&by=src_app&metric=bytes_tx&limit=1');
    expect(comma.json()).toEqual(repeated.json());
    expect(comma.json()).toMatchObject({
      by: ['dest_app', 'src_app'],
      rows: [{ dest_app: 'x', src_app: 'a', bytes_tx: 10, bytes_rx: 1, bytes: 11, flows: 1 }],
      other: { groups: 2, bytes_tx: 6, bytes_rx: 25, bytes: 31, flows: 2 },
    });
    const filtered = await get('/flows/top?from_hour=1&to_hour=2&src_app=a&src_app=c&dest_app=y');
    expect(filtered.json().rows).toEqual([{ src_app: 'c', bytes_tx: 5, bytes_rx: 5, bytes: 10, flows: 1 }]);
    const one = await get('/flows/top?from_hour=1&to_hour=2&vpc_id=vpc-0&by=vpc_id');
    expect(one.json().rows).toEqual([{ vpc_id: 'vpc-0', bytes_tx: 16, bytes_rx: 26, bytes: 42, flows: 3 }]);
  });

  it('writes sums past 2^53-1 as exact JSON integers', async () => {
    const sum = (2n * BigInt(MAX)).toString();
    const top = await get('/flows/top?from_hour=3&to_hour=3');
    expect(top.body).toContain(`"rows":[{"bytes_tx":${sum},"bytes_rx":0,"bytes":${sum},"flows":2,"src_app":"big"}]`);
    const hours = await get('/hours?from_hour=3&to_hour=3');
    expect(hours.body).toBe(
      `{"from_hour":3,"to_hour":3,"hours":[{"hour":3,"flows":2,"bytes_tx":${sum},"bytes_rx":0}]}`,
    );
  });

  it.each([
    ['/hours?from_hour=5&to_hour=4', 'query parameter "from_hour" (5) must be <= "to_hour" (4)'],
    ['/hours?from_hour=0&to_hour=744', 'the range from_hour..to_hour spans 745 hours; at most 744'],
    ['/hours?to_hour=4', 'query parameter "from_hour" is required'],
    ['/hours?from_hour=1&to_hour=x', 'query parameter "to_hour" must be a whole number in plain decimal digits'],
    ['/hours?from_hour=1e0&to_hour=2', 'query parameter "from_hour" must be a whole number in plain decimal digits'],
    ['/hours?from_hour=-1&to_hour=2', 'query parameter "from_hour" must be >= 0'],
    ['/hours?from_hour=1&to_hour=2&hour=3', 'unknown query parameter "hour"'],
    ['/flows/top?from_hour=1&to_hour=1000', 'the range from_hour..to_hour spans 1000 hours; at most 744'],
    [
      '/flows/top?from_hour=1&to_hour=2&by=src_app,port',
      'query parameter "by" must be one of src_app, dest_app, vpc_id, hour',
    ],
    ['/flows/top?from_hour=1&to_hour=2&by=', 'query parameter "by" must be one of src_app, dest_app, vpc_id, hour'],
    ['/flows/top?from_hour=1&to_hour=2&by=hour,hour', 'query parameter "by" must not list an item twice'],
    [`/flows/top?from_hour=1&to_hour=2&by=${'hour,'.repeat(2000)}`, 'query parameter "by" must list at most 4 items'],
    [
      '/flows/top?from_hour=1&to_hour=2&metric=packets',
      'query parameter "metric" must be one of bytes, bytes_tx, bytes_rx',
    ],
    ['/flows/top?from_hour=1&to_hour=2&limit=0', 'query parameter "limit" must be >= 1'],
    ['/flows/top?from_hour=1&to_hour=2&limit=1001', 'query parameter "limit" must be <= 1000'],
    [
      '/flows/top?from_hour=1&to_hour=2&limit=2.5',
      'query parameter "limit" must be a whole number in plain decimal digits',
    ],
    ['/flows/top?from_hour=1&to_hour=2&src_app=', 'query parameter "src_app" must not be empty'],
    [
      `/flows/top?from_hour=1&to_hour=2&src_app=${'x'.repeat(257)}`,
      'query parameter "src_app" must be at most 256 characters',
    ],
    [
      `/flows/top?from_hour=1&to_hour=2${'&vpc_id=v'.repeat(101)}`,
      'query parameter "vpc_id" must list at most 100 items',
    ],
    ['/flows/top?from_hour=1&to_hour=2&app=a', 'unknown query parameter "app"'],
  ])('%s is a 400 naming the problem', async (url, message) => {
    expectValidationError(await get(url), message);
  });
});

describe('query routes in the OpenAPI document', () => {
  const { app } = build();
  afterAll(() => app.close());

  it('documents each route with its parameters, defaults and answers', async () => {
    const doc = (await app.inject('/docs/json')).json();
    const parameters = (path: string) =>
      Object.fromEntries(
        doc.paths[path].get.parameters.map((p: { name: string; required?: boolean; schema: object }) => [
          p.name,
          { required: p.required ?? false, ...p.schema },
        ]),
      );
    expect(parameters('/flows/top')).toMatchObject({
      from_hour: { required: true },
      to_hour: { required: true },
      by: { required: false, default: ['src_app'], items: { enum: ['src_app', 'dest_app', 'vpc_id', 'hour'] } },
      metric: { default: 'bytes', enum: ['bytes', 'bytes_tx', 'bytes_rx'] },
      limit: { default: 10, minimum: 1, maximum: 1000 },
      src_app: { type: 'array', maxItems: 100 },
    });
    expect(Object.keys(parameters('/hours'))).toEqual(['from_hour', 'to_hour']);
    expect(Object.keys(parameters('/counts'))).toEqual(['since', 'until']);
    for (const path of ['/hours', '/flows/top', '/counts']) {
      expect(Object.keys(doc.paths[path].get.responses)).toEqual(expect.arrayContaining(['200', '400', '500', '503']));
    }
  });
});

describe('query routes with authentication on', () => {
  const QUERY = 'query-key-0123456789abcdef';
  const INGEST = 'ingest-key-0123456789abcdef';
  const { app } = build({ apiKeys: new ApiKeys({ ingest: [INGEST], query: [QUERY] }) });
  afterAll(() => app.close());

  it.each(['/hours?from_hour=1&to_hour=2', '/flows/top?from_hour=1&to_hour=2'])(
    '%s needs a key with the query scope',
    async (url) => {
      const as = (key?: string) =>
        app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });
      expect((await as()).statusCode).toBe(401);
      expect((await as(INGEST)).statusCode).toBe(403);
      expect((await as(QUERY)).statusCode).toBe(200);
    },
  );
});
