import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { build, record, testConfig } from '../../support/helper.js';

let ctx: ReturnType<typeof build>;
beforeEach(() => {
  ctx = build();
});
afterEach(() => ctx.app.close());

const post = (payload: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  ctx.app.inject({
    method: 'POST',
    url: '/flows',
    headers,
    payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
  });
const get = (query: string) => ctx.app.inject({ method: 'GET', url: `/flows${query}` });

describe('POST /flows and GET /flows', () => {
  it('accepts a batch and answers the hour with exact totals', async () => {
    const res = await post([record(), record({ bytes_tx: 1, bytes_rx: 1 }), record({ hour: 2 })]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 3 });
    const hour1 = await get('?hour=1');
    expect(hour1.statusCode).toBe(200);
    expect(hour1.headers['content-type']).toMatch(/application\/json/);
    expect(hour1.json()).toEqual([
      { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', hour: 1, bytes_tx: 101, bytes_rx: 501 },
    ]);
  });

  it('accepts an empty array', async () => {
    const res = await post([]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 0 });
  });

  it('answers [] for an hour with no flows, and accepts the largest hour', async () => {
    expect((await get('?hour=0')).json()).toEqual([]);
    expect((await post([record({ hour: 2 ** 31 - 1 })])).statusCode).toBe(200);
    expect((await get(`?hour=${2 ** 31 - 1}`)).json()).toHaveLength(1);
  });

  it('accepts names of exactly 256 characters and totals of exactly 2^53-1', async () => {
    const name = 'x'.repeat(256);
    const max = Number.MAX_SAFE_INTEGER;
    const res = await post([record({ src_app: name, dest_app: name, vpc_id: name, bytes_tx: max, bytes_rx: max })]);
    expect(res.statusCode).toBe(200);
    expect((await get('?hour=1')).json()).toEqual([
      { src_app: name, dest_app: name, vpc_id: name, hour: 1, bytes_tx: max, bytes_rx: max },
    ]);
  });
});

const NOT_PLAIN = 'must be a plain decimal integer (no fraction or exponent)';
const NOT_PLAIN_QUERY = 'must be a whole number in plain decimal digits';

describe('bad input: a clear 4xx and nothing applied', () => {
  const good = record({ src_app: 'good' });
  /** A good record, then one whose `field` is written as `raw` JSON text. */
  const withRaw = (field: string, raw: string) =>
    `[${JSON.stringify(good)},${JSON.stringify(record()).replace(new RegExp(`"${field}":("[^"]*"|\\d+)`), `"${field}":${raw}`)}]`;
  const cases: [string, string | unknown, number, string | RegExp, Record<string, string>?][] = [
    ['not JSON', '[{"src_app":', 400, /not valid JSON/],
    ['an empty body', '', 400, /empty/i],
    ['not an array', { src_app: 'foo' }, 400, 'body must be a JSON array of flow records'],
    ['a record that is not an object', [good, 42], 400, 'record 1: must be an object'],
    ['a missing field', [good, { ...record(), hour: undefined }], 400, 'record 1: missing field "hour"'],
    ['an extra field', [good, { ...record(), proto: 'tcp' }], 400, 'record 1: unknown field "proto"'],
    [
      'a string number',
      [good, record({ bytes_tx: '100' as never })],
      400,
      'record 1: field "bytes_tx" must be an integer',
    ],
    ['a negative number', [good, record({ bytes_rx: -1 })], 400, 'record 1: field "bytes_rx" must be >= 0'],
    ['a fractional number', [good, record({ bytes_tx: 1.5 })], 400, `record 1: field "bytes_tx" ${NOT_PLAIN}`],
    // JSON.parse would round each of these to an integer; the text says otherwise.
    [
      'a fraction that rounds to 1',
      withRaw('bytes_tx', '0.99999999999999999'),
      400,
      `record 1: field "bytes_tx" ${NOT_PLAIN}`,
    ],
    [
      'a fraction that rounds to 2^53-1',
      withRaw('bytes_rx', '9007199254740991.4'),
      400,
      `record 1: field "bytes_rx" ${NOT_PLAIN}`,
    ],
    ['an hour with a tiny fraction', withRaw('hour', '2147483647.0000001'), 400, `record 1: field "hour" ${NOT_PLAIN}`],
    ['a whole number written 1.0', withRaw('hour', '1.0'), 400, `record 1: field "hour" ${NOT_PLAIN}`],
    ['a whole number written 1e2', withRaw('bytes_tx', '1e2'), 400, `record 1: field "bytes_tx" ${NOT_PLAIN}`],
    ['a whole number written 1E+2', withRaw('bytes_tx', '1E+2'), 400, `record 1: field "bytes_tx" ${NOT_PLAIN}`],
    ['a duplicate field', withRaw('src_app', '"a","src_app":"z"'), 400, 'record 1: duplicate field "src_app"'],
    ['a duplicate field, same value', withRaw('hour', '1,"hour":1'), 400, 'record 1: duplicate field "hour"'],
    [
      'a duplicate field, escaped',
      withRaw('vpc_id', '"v","vpc\\u005fid":"w"'),
      400,
      'record 1: duplicate field "vpc_id"',
    ],
    [
      'invalid UTF-8 in a name',
      // Bytes FF FE: not UTF-8 (decoding would turn them into U+FFFD and merge such names).
      Buffer.from(JSON.stringify([record({ src_app: 'x\u00ff\u00fe' })]), 'latin1'),
      400,
      'body is not valid UTF-8',
    ],
    [
      'bytes past 2^53-1',
      [good, record({ bytes_tx: 2 ** 53 })],
      400,
      /record 1: field "bytes_tx" must be <= 9007199254740991/,
    ],
    ['an hour past 2^31-1', [good, record({ hour: 2 ** 31 })], 400, /record 1: field "hour" must be <= 2147483647/],
    ['a negative hour', [good, record({ hour: -1 })], 400, 'record 1: field "hour" must be >= 0'],
    ['an empty string', [good, record({ vpc_id: '' })], 400, 'record 1: field "vpc_id" must not be empty'],
    [
      'an over-long string',
      [good, record({ dest_app: 'x'.repeat(257) })],
      400,
      'record 1: field "dest_app" must be at most 256 characters',
    ],
    [
      'a NUL character in a name',
      [good, record({ src_app: 'a\u0000b' })],
      400,
      'record 1: field "src_app" must not contain NUL or an unpaired UTF-16 surrogate',
    ],
    [
      'an unpaired surrogate in a name',
      `[${JSON.stringify(good)},{"src_app":"a","dest_app":"x\\ud800","vpc_id":"v","bytes_tx":1,"bytes_rx":1,"hour":1}]`,
      400,
      'record 1: field "dest_app" must not contain NUL or an unpaired UTF-16 surrogate',
    ],
    [
      'a low surrogate alone in a name',
      `[{"src_app":"a","dest_app":"b","vpc_id":"\\udc00v","bytes_tx":1,"bytes_rx":1,"hour":1}]`,
      400,
      'record 0: field "vpc_id" must not contain NUL or an unpaired UTF-16 surrogate',
    ],
    ['a null field', [good, record({ src_app: null as never })], 400, 'record 1: field "src_app" must be a string'],
    ['a prototype-poisoning key', '[{"__proto__":{"x":1}}]', 400, /not valid JSON/],
    [
      'the wrong content type',
      JSON.stringify([good]),
      415,
      'unsupported content-type "text/plain": send application/json',
      { 'content-type': 'text/plain' },
    ],
    [
      'too many records',
      Array.from({ length: testConfig.MAX_BATCH_RECORDS + 1 }, () => good),
      413,
      `batch has more than ${testConfig.MAX_BATCH_RECORDS} records; split it into smaller batches`,
    ],
    ['a body over the size limit', `[${' '.repeat(testConfig.BODY_LIMIT)}]`, 413, /body is too large/i],
  ];

  it.each(cases)('%s', async (_name, payload, status, message, headers) => {
    const res = await post(payload, headers);
    expect(res.statusCode).toBe(status);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
    expect(body.statusCode).toBe(status);
    expect(body.message).toMatch(typeof message === 'string' ? new RegExp(`^${escapeRegExp(message)}$`) : message);
    expect(await ctx.store.flowCount()).toBe(0);
  });

  it('a total past 2^53-1 is a 422 naming the flow, and the whole batch is dropped', async () => {
    await post([record({ bytes_rx: Number.MAX_SAFE_INTEGER })]);
    const res = await post([good, record({ bytes_rx: 1 })]);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'FLOWS_ERR_TOTAL_OVERFLOW',
      message: expect.stringContaining('"src_app":"foo"'),
    });
    expect((await get('?hour=1')).json()).toEqual([expect.objectContaining({ src_app: 'foo', bytes_tx: 100 })]);
  });

  const queries: [string, string, string][] = [
    ['hour missing', '', 'query parameter "hour" is required'],
    ['hour not a number', '?hour=one', `query parameter "hour" ${NOT_PLAIN_QUERY}`],
    ['hour fractional', '?hour=1.5', `query parameter "hour" ${NOT_PLAIN_QUERY}`],
    ['hour 3.0', '?hour=3.0', `query parameter "hour" ${NOT_PLAIN_QUERY}`],
    ['hour with an exponent', '?hour=1e2', `query parameter "hour" ${NOT_PLAIN_QUERY}`],
    ['hour with a plus sign', '?hour=%2B3', `query parameter "hour" ${NOT_PLAIN_QUERY}`],
    ['hour with a space', '?hour=%203', `query parameter "hour" ${NOT_PLAIN_QUERY}`],
    ['hour in hexadecimal', '?hour=0x10', `query parameter "hour" ${NOT_PLAIN_QUERY}`],
    ['hour empty', '?hour=', `query parameter "hour" ${NOT_PLAIN_QUERY}`],
    ['hour negative', '?hour=-1', 'query parameter "hour" must be >= 0'],
    ['hour past 2^31-1', '?hour=2147483648', 'query parameter "hour" must be <= 2147483647'],
    ['hour given twice', '?hour=1&hour=2', 'query parameter "hour" must be given once'],
    ['an unknown parameter', '?hour=1&minute=2', 'unknown query parameter "minute"'],
  ];
  it.each(queries)('GET with %s', async (_name, query, message) => {
    const res = await get(query);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ statusCode: 400, code: 'FLOWS_ERR_VALIDATION', error: 'Bad Request', message });
  });

  it('a POST without any body or content type is a 400, with or without an Idempotency-Key', async () => {
    for (const headers of [{}, { 'idempotency-key': 'k-1' }]) {
      const res = await ctx.app.inject({ method: 'POST', url: '/flows', headers });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'FLOWS_ERR_VALIDATION' });
    }
  });

  it('an unknown route is a JSON 404', async () => {
    const res = await ctx.app.inject({ method: 'DELETE', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      statusCode: 404,
      code: 'FLOWS_ERR_NOT_FOUND',
      error: 'Not Found',
      message: 'no route DELETE /nope',
    });
  });

  it.each([
    ['DELETE', '/flows', 'GET, HEAD, POST'],
    ['PUT', '/flows?hour=1', 'GET, HEAD, POST'],
    ['PATCH', '/flows', 'GET, HEAD, POST'],
    ['OPTIONS', '/flows', 'GET, HEAD, POST'],
    ['POST', '/health', 'GET, HEAD'],
    ['DELETE', '/metrics', 'GET, HEAD'],
  ])('%s %s, a known path with the wrong method, is a 405 with Allow', async (method, url, allow) => {
    const res = await ctx.app.inject({ method: method as 'DELETE', url });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    const path = url.split('?')[0];
    expect(res.json()).toEqual({
      statusCode: 405,
      code: 'FLOWS_ERR_METHOD_NOT_ALLOWED',
      error: 'Method Not Allowed',
      message: `${method} is not allowed on ${path}; use ${allow}`,
    });
  });

  it('HEAD stays answered where GET is', async () => {
    await post([record()]);
    const res = await ctx.app.inject({ method: 'HEAD', url: '/flows?hour=1' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
