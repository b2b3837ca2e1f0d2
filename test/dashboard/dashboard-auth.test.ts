import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { browserMissing, launchChromium } from '../support/browser.js';
import { apiDigits, expectedTopTable, readTopTable, screenshot } from '../support/dashboard-page.js';
import { ServerProcess } from '../support/server-process.js';

const INGEST = 'ingest-key-0123456789abcdef';
const QUERY = 'query-key-0123456789abcdef';
const HOUR = Math.floor(Date.now() / 3_600_000);

describe.skipIf(browserMissing())('the dashboard in Chromium, authentication on', () => {
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const authorizations = new Map<string, string | undefined>();

  beforeAll(async () => {
    server = await ServerProcess.start({
      ROTATION_INTERVAL_MS: '1000',
      API_KEYS_INGEST: INGEST,
      API_KEYS_QUERY: QUERY,
    });
    const records = ['alpha', 'beta', 'gamma'].map((src_app, i) => ({
      src_app,
      dest_app: 'db',
      vpc_id: 'vpc-1',
      bytes_tx: 100 * (i + 1),
      bytes_rx: 10 * (i + 1),
      hour: HOUR,
    }));
    expect((await server.post(records, { authorization: `Bearer ${INGEST}` })).status).toBe(200);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    page = await context.newPage();
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (!path.startsWith('/dashboard/') && path !== '/') authorizations.set(path, request.headers().authorization);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const keyForm = () => page.locator('#key-form');

  test('asks for a key: the page is public, the data is not', async () => {
    await page.goto(`${server.base}/`);
    await keyForm().waitFor({ state: 'visible' });
    expect(await page.textContent('#key-reason')).toContain('needs an API key with the query scope (401)');
    expect(await page.isHidden('#content')).toBe(true);
    await screenshot(page, 'auth-key-form-phone');
  });

  test('says a key without the query scope is not enough (403), and asks again', async () => {
    await page.fill('#api-key', INGEST);
    await page.click('#key-form button[type="submit"]');
    await expect
      .poll(() => page.textContent('#key-reason'), { timeout: 10_000 })
      .toContain('lacks the query scope (403)');
    expect(await keyForm().isVisible()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('flowanalysis.apiKey'))).toBeNull();
  });

  test('with a query key shows the data, sending the key as Authorization: Bearer', async () => {
    await page.fill('#api-key', QUERY);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#top-table tbody tr');
    const top = await apiDigits(server.base, `/flows/top?from_hour=${HOUR - 23}&to_hour=${HOUR}&limit=10`, QUERY);
    expect(await readTopTable(page)).toMatchObject(expectedTopTable(top));
    expect(await keyForm().isHidden()).toBe(true);
    expect(authorizations.get('/flows/top')).toBe(`Bearer ${QUERY}`);
    expect(authorizations.get('/hours')).toBe(`Bearer ${QUERY}`);
    expect(authorizations.get('/counts')).toBe(`Bearer ${QUERY}`);
    await screenshot(page, 'auth-phone');
  });

  test('keeps the key for this tab only (sessionStorage): a reload keeps it, another tab asks', async () => {
    await page.reload();
    await page.waitForSelector('#top-table tbody tr');
    expect(await keyForm().isHidden()).toBe(true);
    const other = await (await browser.newContext()).newPage();
    await other.goto(`${server.base}/`);
    await other.locator('#key-form').waitFor({ state: 'visible' });
    expect(await other.evaluate(() => sessionStorage.length)).toBe(0);
    await other.context().close();
  });

  test('asks again once the key is refused (401), and after "Forget key"', async () => {
    await page.evaluate(() => sessionStorage.setItem('flowanalysis.apiKey', 'revoked-key-0123456789abcdef'));
    await page.click('#refresh-now');
    await keyForm().waitFor({ state: 'visible' });
    expect(await page.textContent('#key-reason')).toContain('did not accept this key (401)');

    await page.fill('#api-key', QUERY);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#content:not([hidden])');
    await page.click('#forget-key');
    await keyForm().waitFor({ state: 'visible' });
    expect(await page.evaluate(() => sessionStorage.getItem('flowanalysis.apiKey'))).toBeNull();
  });
});
