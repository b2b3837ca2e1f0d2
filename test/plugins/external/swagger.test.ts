import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApiKeys } from '../../../src/auth/api-keys.js';
import { build, testConfig } from '../../support/helper.js';

/** Every route the app serves, as the router has it, except the UI's own files and HEAD twins. */
function collectRoutes(app: ReturnType<typeof build>['app']) {
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' || route.url.startsWith('/docs')) continue;
      routes.push({ method: method.toLowerCase(), url: route.url });
    }
  });
  return routes;
}

describe('OpenAPI document', () => {
  const { app } = build({
    apiKeys: new ApiKeys({ ingest: ['ingest-key-0123456789abcdef'], query: [] }),
    config: { ...testConfig, RATE_LIMIT_MAX: 100 },
  });
  const routes = collectRoutes(app);
  let doc: OpenAPIV3_1.Document;
  beforeAll(async () => {
    const res = await app.inject('/docs/json');
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(() => app.close());

  test('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    // validate() dereferences in place: give it a copy so the other tests see the document as served.
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
  });

  test('documents every route the app serves', () => {
    expect(routes.length).toBeGreaterThanOrEqual(5);
    for (const { method, url } of routes) {
      expect(doc.paths?.[url]?.[method as 'get'], `${method.toUpperCase()} ${url}`).toBeDefined();
    }
  });

  test('every operation has a summary, and every response a description and a schema', () => {
    for (const [url, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item ?? {}) as [string, OpenAPIV3_1.OperationObject][]) {
        expect(op.summary, `${method} ${url}`).toBeTruthy();
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          const r = response as OpenAPIV3_1.ResponseObject;
          expect(r.description, `${method} ${url} ${status}`).toMatch(/^(?!Default Response$)./);
          expect(Object.keys(r.content ?? {}).length, `${method} ${url} ${status}`).toBeGreaterThan(0);
        }
      }
    }
  });

  test('POST /flows: body with an example, Idempotency-Key, security and every error', () => {
    const post = doc.paths?.['/flows']?.post as OpenAPIV3_1.OperationObject;
    const body = post.requestBody as OpenAPIV3_1.RequestBodyObject;
    const media = body.content['application/json'];
    expect(media.example ?? media.examples ?? (media.schema as { examples?: unknown }).examples).toBeDefined();
    const params = (post.parameters ?? []) as OpenAPIV3_1.ParameterObject[];
    expect(params.find((p) => p.in === 'header' && p.name === 'idempotency-key')).toBeDefined();
    expect(post.security).toBeUndefined(); // inherits the document-wide bearer requirement
    expect(doc.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(post.responses ?? {}).sort()).toEqual(
      ['200', '400', '401', '403', '409', '413', '415', '422', '429', '500', '503', '507'].sort(),
    );
  });

  /** The examples a response shows, whether the generator wrote one `example` or named `examples`. */
  function examplesOf(response: unknown): { statusCode: number; code: string; message: string }[] {
    const media = (response as OpenAPIV3_1.ResponseObject).content?.['application/json'];
    if (media?.example) return [media.example];
    return Object.values(media?.examples ?? {}).map((e) => (e as OpenAPIV3_1.ExampleObject).value);
  }

  test('each status has its own entry, with examples of that status and the codes it stands for', () => {
    const expected: Record<string, Record<string, string[]>> = {
      post: {
        400: ['FLOWS_ERR_VALIDATION', 'FST_ERR_CTP_INVALID_JSON_BODY', 'FLOWS_ERR_IDEMPOTENCY_KEY_INVALID'],
        401: ['FLOWS_ERR_UNAUTHORIZED'],
        403: ['FLOWS_ERR_FORBIDDEN'],
        409: ['FLOWS_ERR_IDEMPOTENCY_IN_FLIGHT'],
        413: ['FLOWS_ERR_TOO_MANY_RECORDS', 'FST_ERR_CTP_BODY_TOO_LARGE'],
        415: ['FST_ERR_CTP_INVALID_MEDIA_TYPE'],
        422: ['FLOWS_ERR_TOTAL_OVERFLOW', 'FLOWS_ERR_HOUR_EXPIRED', 'FLOWS_ERR_IDEMPOTENCY_MISMATCH'],
        429: ['FLOWS_ERR_RATE_LIMITED'],
        500: ['FLOWS_ERR_INTERNAL'],
        503: [
          'FLOWS_ERR_STORE_UNAVAILABLE',
          'FLOWS_ERR_COMMIT_UNKNOWN',
          'FLOWS_ERR_LOG_WRITE_FAILED',
          'FLOWS_ERR_OVERLOADED',
        ],
        507: ['FLOWS_ERR_CAPACITY'],
      },
      get: {
        400: ['FLOWS_ERR_VALIDATION'],
        401: ['FLOWS_ERR_UNAUTHORIZED'],
        403: ['FLOWS_ERR_FORBIDDEN'],
        429: ['FLOWS_ERR_RATE_LIMITED'],
        500: ['FLOWS_ERR_INTERNAL'],
        503: ['FLOWS_ERR_STORE_UNAVAILABLE', 'FLOWS_ERR_OVERLOADED', 'FLOWS_ERR_OVERLOADED'],
      },
    };
    for (const [method, statuses] of Object.entries(expected)) {
      const responses =
        (doc.paths?.['/flows']?.[method as 'get'] as OpenAPIV3_1.OperationObject | undefined)?.responses ?? {};
      expect(
        Object.keys(responses)
          .filter((s) => s !== '200')
          .sort(),
        method,
      ).toEqual(Object.keys(statuses).sort());
      for (const [status, codes] of Object.entries(statuses)) {
        const examples = examplesOf(responses[status]);
        expect({ method, status, codes: examples.map((e) => e.code) }).toEqual({ method, status, codes });
        for (const example of examples) {
          expect(example.statusCode, `${method} ${status} ${example.code}`).toBe(Number(status));
          expect(example.message, `${method} ${status} ${example.code}`).toBeTruthy();
        }
      }
    }
  });

  test('no operation folds its statuses into 4XX or 5XX; the query routes list theirs', () => {
    for (const [url, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item ?? {}) as [string, OpenAPIV3_1.OperationObject][]) {
        expect(Object.keys(op.responses ?? {}), `${method} ${url}`).not.toContain('4XX');
        expect(Object.keys(op.responses ?? {}), `${method} ${url}`).not.toContain('5XX');
      }
    }
    for (const url of ['/hours', '/flows/top', '/counts']) {
      const op = doc.paths?.[url]?.get as OpenAPIV3_1.OperationObject;
      expect(Object.keys(op.responses ?? {}).sort(), url).toEqual(['200', '400', '401', '403', '429', '500', '503']);
      expect(examplesOf(op.responses?.[400]).map((e) => e.code)).toEqual(['FLOWS_ERR_VALIDATION']);
    }
  });

  test('routes are grouped under their tags, none under "default"', () => {
    const tags = new Set((doc.tags ?? []).map((t) => t.name));
    for (const [url, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item ?? {}) as [string, OpenAPIV3_1.OperationObject][]) {
        expect(op.tags?.length, `${method} ${url}`).toBeGreaterThan(0);
        for (const tag of op.tags ?? []) expect(tags.has(tag), `${method} ${url}: ${tag}`).toBe(true);
      }
    }
    expect(doc.paths?.['/flows']?.post?.tags).toEqual(['flows']);
    expect(doc.paths?.['/flows']?.get?.tags).toEqual(['flows']);
  });

  test('GET /flows documents its query parameter; probes are marked as open', () => {
    const get = doc.paths?.['/flows']?.get as OpenAPIV3_1.OperationObject;
    const params = (get.parameters ?? []) as OpenAPIV3_1.ParameterObject[];
    expect(params.find((p) => p.in === 'query' && p.name === 'hour')?.required).toBe(true);
    expect(doc.paths?.['/health']?.get?.security).toEqual([]);
    expect(doc.paths?.['/ready']?.get?.security).toEqual([]);
  });

  test('Swagger UI is served at /docs', async () => {
    const res = await app.inject('/docs/');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('swagger-ui-bundle.js');
    // Its assets are as open as the page, authentication on or not.
    expect((await app.inject('/docs/static/swagger-ui-bundle.js')).statusCode).toBe(200);
  });
});

describe('DOCS_ENABLED=false', () => {
  const { app } = build({ config: { ...testConfig, DOCS_ENABLED: false } });
  afterAll(() => app.close());

  test('serves no documentation', async () => {
    expect((await app.inject('/docs/json')).statusCode).toBe(404);
  });
});
