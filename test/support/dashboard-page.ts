import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';

/** Where the browser tests leave their screenshots (git-ignored). */
export const SCREENSHOTS = 'test-results/dashboard';

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

/**
 * JSON with every integer as its exact digits (a string): the API writes sums past 2^53-1 as plain
 * numbers, which Node 20's JSON.parse would round. Only for test data whose strings hold no `:123…` runs.
 */
export function parseDigits(text: string): unknown {
  return JSON.parse(text.replace(/([:[,]\s*)(\d+)(?=\s*[,\]}])/g, '$1"$2"'));
}

/** GET an API path (with a key if given) and its answer with integers as digits. */
export async function apiDigits(base: string, path: string, key?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return parseDigits(await response.text()) as Record<string, unknown>;
}

export interface ShownRow {
  names: string[];
  values: Record<string, string>;
}

/** The top-talker table as shown: each body row's names and exact values, and the other and total rows. */
export function readTopTable(
  page: Page,
): Promise<{ head: string[]; rows: ShownRow[]; other: ShownRow; total: ShownRow }> {
  return page.evaluate(() => {
    const read = (tr: Element) => ({
      names: [...tr.querySelectorAll('td.name')].map((td) => td.textContent ?? ''),
      values: Object.fromEntries(
        [...tr.querySelectorAll<HTMLElement>('[data-field]')].map((td) => [td.dataset.field, td.dataset.value]),
      ),
    });
    const table = document.querySelector('#top-table') as HTMLTableElement;
    return {
      head: [...table.querySelectorAll('thead th')].map((th) => th.textContent ?? ''),
      rows: [...table.tBodies[0].rows].map(read),
      other: read(table.querySelector('tfoot tr.other') as Element),
      total: read(table.querySelector('tfoot tr.total') as Element),
    };
  });
}

/** What the API's top answer says the table must show, in the same shape. */
export function expectedTopTable(answer: Record<string, unknown>): {
  rows: ShownRow[];
  other: ShownRow;
  total: ShownRow;
} {
  const by = answer.by as string[];
  const sums = (entry: Record<string, string>) => ({
    bytes: entry.bytes,
    bytes_tx: entry.bytes_tx,
    bytes_rx: entry.bytes_rx,
    flows: entry.flows,
  });
  const rows = (answer.rows as Record<string, string>[]).map((row) => ({
    names: by.map((dimension) => row[dimension]),
    values: sums(row),
  }));
  const summary = (entry: Record<string, string>) => ({ names: [], values: sums(entry) });
  return {
    rows,
    other: summary(answer.other as Record<string, string>),
    total: summary(answer.total as Record<string, string>),
  };
}

/** The exact data a chart draws (its `data-series` attribute), integers as digits. */
export async function chartSeries(page: Page, id: string): Promise<unknown> {
  const text = await page.getAttribute(`#${id}`, 'data-series');
  return text === null ? undefined : parseDigits(text);
}

/** The time of the page's last complete refresh (ISO), or '' before the first. */
export async function lastRefresh(page: Page): Promise<string> {
  return (await page.getAttribute('#updated', 'data-updated-at')) ?? '';
}

/** Waits until the page has completed a refresh after the one at `since` (from lastRefresh). */
export async function waitForRefresh(page: Page, since: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    (previous) => (document.getElementById('updated')?.dataset.updatedAt ?? '') > previous,
    since,
    { timeout },
  );
}
