import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApiKeys } from '../../src/auth/api-keys.js';
import { build } from '../support/helper.js';

// The page as `npm run build` makes it (npm test builds first).
const BUILT = fileURLToPath(new URL('../../dist/dashboard/public/', import.meta.url));
const KEY = 'query-key-0123456789abcdef';

/** Every URL the page loads: index.html's scripts, styles and icon, then each module's imports. */
async function assetsOf(app: FastifyInstance): Promise<string[]> {
  const html = (await app.inject('/')).body;
  const found = [...html.matchAll(/(?:src|href)="(\/dashboard\/[^"]+)"/g)].map((m) => m[1]);
  for (let i = 0; i < found.length; i++) {
    if (!found[i].endsWith('.js') || found[i].includes('/vendor/')) continue;
    const script = (await app.inject(found[i])).body;
    for (const [, relative] of script.matchAll(/from '(\.\/[^']+)'/g)) {
      const url = new URL(relative, `http://page${found[i]}`).pathname;
      if (!found.includes(url)) found.push(url);
    }
  }
  return found;
}

describe('the dashboard page', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    expect(existsSync(BUILT), 'npm run build first').toBe(true);
    ({ app } = build({ dashboardDir: BUILT }));
    await app.ready();
  });
  afterAll(() => app.close());

  test('GET / is the page, with a Content-Security-Policy that allows this origin only', async () => {
    const response = await app.inject('/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(
      "default-src 'none';script-src 'self';style-src 'self';img-src 'self';connect-src 'self';" +
        "base-uri 'none';form-action 'none';frame-ancestors 'none'",
    );
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect((await app.inject({ method: 'HEAD', url: '/' })).statusCode).toBe(200);
  });

  test('has no inline script, style or event handler: the CSP would block them', async () => {
    const html = (await app.inject('/')).body;
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toMatch(/ src="\/dashboard\//);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=|javascript:/i);
  });

  test('serves everything it loads itself, uPlot included, with the right types', async () => {
    const assets = await assetsOf(app);
    expect(assets).toEqual(
      expect.arrayContaining([
        '/dashboard/vendor/uPlot.iife.min.js',
        '/dashboard/vendor/uPlot.min.css',
        '/dashboard/js/main.js',
        '/dashboard/js/api.js',
      ]),
    );
    for (const url of assets) {
      const response = await app.inject(url);
      expect(response.statusCode, url).toBe(200);
      const type = url.endsWith('.js')
        ? /^(text|application)\/javascript/
        : url.endsWith('.css')
          ? /^text\/css/
          : /^image\/svg\+xml/;
      expect(response.headers['content-type'], url).toMatch(type);
    }
    expect((await app.inject('/dashboard/vendor/uPlot.LICENSE.txt')).body).toContain('MIT');
  });

  test('an unknown asset is the app 404, and nothing outside the built folder is reachable', async () => {
    for (const url of [
      '/dashboard/nope.js',
      '/dashboard/',
      '/dashboard/../package.json',
      '/dashboard/%2e%2e/package.json',
    ]) {
      const response = await app.inject(url);
      expect(response.statusCode, url).toBe(404);
    }
    expect((await app.inject('/dashboard/nope.js')).json()).toMatchObject({ code: 'FLOWS_ERR_NOT_FOUND' });
  });

  test('is not in the OpenAPI document: it is not part of the API', async () => {
    const paths = Object.keys((await app.inject('/docs/json')).json().paths);
    expect(paths).toContain('/flows');
    expect(paths.filter((path) => path === '/' || path.startsWith('/dashboard'))).toEqual([]);
  });

  test('the API keeps its own headers: no page CSP on JSON answers', async () => {
    const response = await app.inject('/flows?hour=1');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-security-policy']).toBeUndefined();
  });
});

describe('the dashboard page with authentication on', () => {
  const { app } = build({ dashboardDir: BUILT, apiKeys: new ApiKeys({ query: [KEY] }) });
  afterAll(() => app.close());

  test('the page and its assets need no key (the page asks for one), the data still does', async () => {
    for (const url of await assetsOf(app)) expect((await app.inject(url)).statusCode, url).toBe(200);
    expect((await app.inject('/')).statusCode).toBe(200);
    expect((await app.inject('/flows?hour=1')).statusCode).toBe(401);
    expect((await app.inject({ url: '/flows?hour=1', headers: { authorization: `Bearer ${KEY}` } })).statusCode).toBe(
      200,
    );
  });

  test('an unknown URL under /dashboard/ is 401 without a key, 404 with one: no open wildcard', async () => {
    expect((await app.inject('/dashboard/nope.js')).statusCode).toBe(401);
    const withKey = await app.inject({ url: '/dashboard/nope.js', headers: { authorization: `Bearer ${KEY}` } });
    expect(withKey.statusCode).toBe(404);
  });
});

describe('without built assets', () => {
  test('the service starts without the page (npm run dev before a build)', async () => {
    const { app } = build({ dashboardDir: '/nonexistent/dashboard' });
    expect((await app.inject('/health')).statusCode).toBe(200);
    expect((await app.inject('/')).statusCode).toBe(404);
    await app.close();
  });
});
