import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FlowRecord } from '../../src/schemas/flow.js';
import { browserMissing, launchChromium } from '../support/browser.js';
import {
  apiDigits,
  chartSeries,
  expectedTopTable,
  lastRefresh,
  readTopTable,
  screenshot,
  waitForRefresh,
} from '../support/dashboard-page.js';
import { ServerProcess } from '../support/server-process.js';

const missing = browserMissing();
if (missing) process.stderr.write(`${missing}\n`);

const EVIL = '<img src=x onerror="window.__xss=1">';
const NOW_HOUR = Math.floor(Date.now() / 3_600_000);
const LAPTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

/** Three hours of traffic ending at the current hour: 14 source apps (so the top 10 leave an `other`). */
function knownRecords(): FlowRecord[] {
  const records: FlowRecord[] = [];
  for (let app = 0; app < 14; app++) {
    for (let back = 0; back < 3; back++) {
      records.push({
        src_app: app === 13 ? EVIL : `app-${String(app).padStart(2, '0')}`,
        dest_app: `svc-${app % 4}`,
        vpc_id: `vpc-${app % 2}`,
        bytes_tx: 1000 * (app + 1) + back,
        bytes_rx: 700 * (14 - app) + back,
        hour: NOW_HOUR - back,
      });
    }
  }
  return records;
}

describe.skipIf(missing)('the dashboard in Chromium, authentication off', () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const foreign: string[] = [];

  beforeAll(async () => {
    server = await ServerProcess.start({ ROTATION_INTERVAL_MS: '500' });
    expect((await server.post(knownRecords())).status).toBe(200);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A new page on `viewport` that records errors, CSP violations and requests to other origins. */
  async function open(viewport: { width: number; height: number }, query = ''): Promise<Page> {
    const opened = await browser.newPage({ viewport, isMobile: viewport === PHONE, hasTouch: viewport === PHONE });
    opened.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    opened.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    opened.on('request', (request) => {
      if (!request.url().startsWith(`${server.base}/`)) foreign.push(request.url());
    });
    await opened.goto(`${server.base}/${query}`);
    await opened.waitForSelector('#top-table tbody tr');
    return opened;
  }

  test('shows the API answers: totals, bytes per hour, top talkers with other and total rows', async () => {
    page = await open(LAPTOP);
    const range = `from_hour=${NOW_HOUR - 23}&to_hour=${NOW_HOUR}`;
    const top = await apiDigits(server.base, `/flows/top?${range}&by=src_app&metric=bytes&limit=10`);
    expect(await readTopTable(page)).toEqual({
      head: ['#', 'source app', 'bytes ▼', 'sent (tx)', 'received (rx)', 'flow-hours', 'share'],
      ...expectedTopTable(top),
    });
    expect((top.other as { groups: string }).groups).toBe('4');
    const total = top.total as Record<string, string>;
    for (const [id, field] of [
      ['kpi-bytes', 'bytes'],
      ['kpi-tx', 'bytes_tx'],
      ['kpi-rx', 'bytes_rx'],
      ['kpi-flows', 'flows'],
    ]) {
      expect(await page.getAttribute(`#${id}`, 'data-value'), id).toBe(total[field]);
    }
    const hours = await apiDigits(server.base, `/hours?${range}`);
    expect(await chartSeries(page, 'hours-chart')).toEqual(hours.hours);
    expect(await page.textContent('#range-label')).toContain(`Hours ${NOW_HOUR - 23} to ${NOW_HOUR}`);
    // The visible figures are the same numbers in SI units: app-12 sent 13000+13001+13002 bytes.
    const app12 = page.locator('#top-table tbody tr', { hasText: 'app-12' });
    await expect
      .poll(() => app12.locator('[data-field="bytes_tx"]').textContent(), { timeout: 10_000 })
      .toBe('39.0 kB');
    await screenshot(page, 'laptop');
  });

  test('shows a name as text, never as markup', async () => {
    const cell = page.locator('#top-table td.name', { hasText: 'onerror' });
    expect(await cell.textContent()).toBe(EVIL);
    expect(await page.locator('#top-table img').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
  });

  test('keeps sums past 2^53-1 exact, and shows small hour numbers as numbers', async () => {
    const huge = ['a', 'b', 'c'].map((src_app) => ({
      src_app,
      dest_app: 'big',
      vpc_id: 'vpc-9',
      bytes_tx: Number.MAX_SAFE_INTEGER,
      bytes_rx: 1,
      hour: 1000,
    }));
    expect((await server.post(huge)).status).toBe(200);
    const other = await open(LAPTOP, '?from_hour=1000&to_hour=1000');
    const top = await apiDigits(server.base, '/flows/top?from_hour=1000&to_hour=1000');
    expect((top.total as Record<string, string>).bytes_tx).toBe(String(3n * BigInt(Number.MAX_SAFE_INTEGER)));
    expect(await readTopTable(other)).toMatchObject(expectedTopTable(top));
    // 3 * (2^53-1) is not a double: a plain JSON.parse would show ...972.
    expect(await other.getAttribute('#kpi-tx', 'data-value')).toBe('27021597764222973');
    expect(await other.getAttribute('#kpi-tx', 'title')).toBe('27,021,597,764,222,973');
    expect(await other.textContent('#range-label')).toBe('Hours 1000 to 1000: 1 hour.');
    await screenshot(other, 'hour-numbers');
    await other.close();
  });

  test.each([
    { by: 'dest_app', metric: 'bytes_rx', head: ['destination app'] },
    { by: 'vpc_id', metric: 'bytes_tx', head: ['VPC'] },
    { by: 'src_app,dest_app', metric: 'bytes', head: ['source app', 'destination app'] },
  ])('switches the top talkers to by=$by, metric=$metric', async ({ by, metric, head }) => {
    await page.selectOption('#top-by', by);
    await page.selectOption('#top-metric', metric);
    // Each change starts a refresh: wait for the one that shows both.
    const sorted = `${{ bytes: 'bytes', bytes_tx: 'sent (tx)', bytes_rx: 'received (rx)' }[metric]} ▼`;
    await page.waitForFunction(
      ([names, column]) => {
        const shown = [...document.querySelectorAll('#top-table thead th')].map((th) => th.textContent);
        return names.every((name, i) => shown[i + 1] === name) && shown.includes(column);
      },
      [head, sorted] as const,
    );
    const range = `from_hour=${NOW_HOUR - 23}&to_hour=${NOW_HOUR}`;
    const top = await apiDigits(server.base, `/flows/top?${range}&by=${by}&metric=${metric}&limit=10`);
    expect(await readTopTable(page)).toMatchObject(expectedTopTable(top));
    expect(page.url()).toContain(`by=${encodeURIComponent(by)}&metric=${metric}`);
  });

  test('takes a custom hour range, and keeps it in the URL', async () => {
    await page.selectOption('#range-mode', 'custom');
    expect(await page.inputValue('#from-hour')).toBe(String(NOW_HOUR - 23));
    await page.fill('#from-hour', String(NOW_HOUR - 1));
    await page.fill('#to-hour', String(NOW_HOUR - 1));
    const before = await lastRefresh(page);
    await page.click('#range-form button[type="submit"]');
    await waitForRefresh(page, before);
    const range = `from_hour=${NOW_HOUR - 1}&to_hour=${NOW_HOUR - 1}`;
    const top = await apiDigits(server.base, `/flows/top?${range}&by=src_app,dest_app&metric=bytes&limit=10`);
    expect(await readTopTable(page)).toMatchObject(expectedTopTable(top));
    expect(await chartSeries(page, 'hours-chart')).toEqual((await apiDigits(server.base, `/hours?${range}`)).hours);
    expect(page.url()).toContain(range);
    // A range the API would refuse is refused before asking, with the reason.
    await page.fill('#from-hour', String(NOW_HOUR));
    await page.fill('#to-hour', String(NOW_HOUR - 1));
    await page.click('#range-form button[type="submit"]');
    await expect.poll(() => page.textContent('#error'), { timeout: 10_000 }).toContain('"from" must not be after "to"');
  });

  test('shows the published minute counts as the API has them', async () => {
    await page.goto(`${server.base}/`);
    await page.waitForSelector('#top-table tbody tr');
    // The batch posted before the page opened was counted in one window: 42 distinct flows.
    await expect
      .poll(
        async () => {
          await page.click('#refresh-now');
          return ((await chartSeries(page, 'counts-chart')) as { unique_flows: string }[] | undefined)?.some(
            (count) => count.unique_flows === '42',
          );
        },
        { timeout: 15_000, interval: 1000 },
      )
      .toBe(true);
    const shown = (await chartSeries(page, 'counts-chart')) as { minute: string; unique_flows: string }[];
    const published = new Map(
      ((await apiDigits(server.base, '/counts')).counts as { minute: string; unique_flows: string }[]).map((c) => [
        c.minute,
        c.unique_flows,
      ]),
    );
    for (const count of shown) expect(published.get(count.minute), count.minute).toBe(count.unique_flows);
    expect(await page.getAttribute('#kpi-minute', 'data-value')).toBe(shown.at(-1)?.unique_flows);
  });

  test('refreshes by itself every 10 s, and not while paused', { timeout: 60_000 }, async () => {
    const totalBytes = () => page.getAttribute('#kpi-bytes', 'data-value');
    const before = Number(await totalBytes());
    const more = { src_app: 'late', dest_app: 'svc-0', vpc_id: 'vpc-0', bytes_tx: 5, bytes_rx: 5, hour: NOW_HOUR };
    expect((await server.post([more])).status).toBe(200);
    await expect.poll(async () => Number(await totalBytes()), { timeout: 15_000 }).toBe(before + 10);

    await page.click('#pause');
    expect(await page.textContent('#updated')).toContain('paused');
    // A refresh under way when the button was pressed still ends; none starts after it.
    await page.waitForLoadState('networkidle');
    const paused = await lastRefresh(page);
    expect((await server.post([more])).status).toBe(200);
    await page.waitForTimeout(11_000);
    expect(await lastRefresh(page)).toBe(paused);
    expect(Number(await totalBytes())).toBe(before + 10);
    await page.click('#pause');
    await waitForRefresh(page, paused);
    expect(Number(await totalBytes())).toBe(before + 20);
  });

  test('fits a phone screen: nothing wider than the screen, the table keeps names, metric and share', async () => {
    const phone = await open(PHONE);
    const widths = await phone.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
      table: document.getElementById('top-table')?.getBoundingClientRect().right ?? Infinity,
      tableBox: document.querySelector('.table-scroll')?.getBoundingClientRect().right ?? 0,
      charts: [...document.querySelectorAll('canvas')].map((canvas) => canvas.getBoundingClientRect().right),
    }));
    expect(widths.page).toBeLessThanOrEqual(widths.viewport);
    expect(widths.table).toBeLessThanOrEqual(widths.tableBox);
    expect(widths.charts.length).toBeGreaterThan(0);
    for (const right of widths.charts) expect(right).toBeLessThanOrEqual(widths.viewport);
    const visibleHead = await phone.locator('#top-table thead th:visible').allTextContents();
    expect(visibleHead).toEqual(['#', 'source app', 'bytes ▼', 'share']);
    await screenshot(phone, 'phone');
    await phone.close();
  });

  test('loaded nothing from elsewhere, broke no CSP rule and logged no error', () => {
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });

  test('says so when the service is down, and keeps the last figures', async () => {
    const before = await page.getAttribute('#kpi-bytes', 'data-value');
    await server.stop();
    await page.click('#refresh-now');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toContain('Cannot reach the service');
    expect(await page.getAttribute('#content', 'class')).toContain('stale');
    expect(await page.getAttribute('#kpi-bytes', 'data-value')).toBe(before);
    await screenshot(page, 'service-down');
  });
});
