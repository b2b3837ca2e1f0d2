import { ApiError, type MinuteCount, type Sums } from './api.js';
import { byId } from './dom.js';
import type { Exact } from './exact-json.js';
import { formatBytes, formatClock, formatInteger } from './format.js';

/** The range's totals in the cards at the top (from the top-talker answer's `total`), or dashes. */
export function showTotals(total: Sums | undefined): void {
  setCard('kpi-bytes', total ? formatBytes(total.bytes) : '–', total?.bytes);
  setCard('kpi-tx', total ? formatBytes(total.bytes_tx) : '–', total?.bytes_tx);
  setCard('kpi-rx', total ? formatBytes(total.bytes_rx) : '–', total?.bytes_rx);
  setCard('kpi-flows', total ? formatInteger(total.flows) : '–', total?.flows);
}

/** The distinct flows of the newest published window, or a dash before the first. */
export function showLatestCount(latest: MinuteCount | undefined): void {
  setCard('kpi-minute', latest ? formatInteger(latest.unique_flows) : '–', latest?.unique_flows);
  if (latest) byId('kpi-minute').title = `window of ${formatClock(new Date(latest.minute))} UTC`;
}

/** A card's text, with its exact value in `data-value` and, readable, in its title. */
function setCard(id: string, text: string, exact: Exact | undefined): void {
  const card = byId(id);
  card.textContent = text;
  card.dataset.value = exact === undefined ? '' : String(exact);
  card.title = exact === undefined ? '' : formatInteger(exact);
}

/** Shows why a panel's query failed (the service's own message), or hides the reason when undefined. */
export function panelError(id: string, reason: unknown): void {
  const paragraph = byId(id);
  paragraph.hidden = reason === undefined;
  if (reason === undefined) return;
  const status = reason instanceof ApiError ? reason.status : 0;
  const what =
    status >= 500 ? `The service could not answer (${status})` : `The service refused this query (${status})`;
  paragraph.textContent = `${what}: ${(reason as Error).message}`;
}
