import { Api, AuthError, type CountsAnswer, type TopAnswer, UnreachableError } from './api.js';
import { ApiKeyPrompt } from './api-key.js';
import { bindControls } from './controls.js';
import { CountsChart } from './counts-chart.js';
import { byId } from './dom.js';
import { formatHour, looksLikeEpochHours } from './format.js';
import { HoursChart } from './hours-chart.js';
import { currentHour, type ResolvedRange, resolveRange } from './latest-hours.js';
import { panelError, showLatestCount, showTotals } from './panels.js';
import { RefreshTimer } from './refresh-timer.js';
import { renderTopTable } from './top-table.js';
import { MAX_RANGE_HOURS, readViewState, writeViewState } from './view-state.js';

let state = readViewState(location.search);
let shown: ResolvedRange | undefined;
const api = new Api(() => prompt.key());
const prompt = new ApiKeyPrompt(() => void timer.now());
const timer = new RefreshTimer(refresh);
const hoursChart = new HoursChart(byId('hours-chart'));
const countsChart = new CountsChart(byId('counts-chart'));
const banner = byId('error');
const content = byId('content');

bindControls(
  state,
  () => shown,
  (next) => {
    state = next;
    history.replaceState(null, '', writeViewState(state));
    void timer.now();
  },
  showBanner,
);
void timer.now();

/** One refresh: the hour range and its totals, then the top talkers of that range; the minute counts. */
async function refresh(): Promise<void> {
  const now = new Date();
  const [range, counts] = await Promise.allSettled([resolveRange(api, state.range, now), countsOf(now)]);
  const resolved = range.status === 'fulfilled' ? range.value : undefined;
  const top = resolved
    ? await settle(api.top(resolved.from, resolved.to, state.by, state.metric, state.limit))
    : undefined;
  const failures = [range, counts, top].flatMap((result) => (result?.status === 'rejected' ? [result.reason] : []));
  const auth = failures.find((reason) => reason instanceof AuthError);
  if (auth) {
    prompt.ask(auth);
    timer.hold();
    content.hidden = true;
    banner.hidden = true;
    return;
  }
  content.hidden = false;
  if (failures.some((reason) => reason instanceof UnreachableError)) {
    showBanner(
      'Cannot reach the service: the figures below are from the last successful refresh. Retrying every 10 s.',
    );
    content.classList.add('stale');
    return;
  }
  content.classList.remove('stale');
  banner.hidden = true;
  try {
    showHours(range, resolved, now);
    showTop(top);
    showCounts(counts);
    timer.updated(now);
  } catch (error) {
    showBanner(`The page failed to show the answer: ${(error as Error).message}`);
  }
}

function showHours(
  range: PromiseSettledResult<ResolvedRange | undefined>,
  resolved: ResolvedRange | undefined,
  now: Date,
) {
  shown = resolved;
  const label = byId('range-label');
  if (range.status === 'rejected') return panelError('hours-error', range.reason);
  panelError('hours-error', undefined);
  if (!resolved) {
    const hour = currentHour(now);
    const hours = state.range.kind === 'latest' ? state.range.hours : 24;
    label.textContent = `No flows in the ${MAX_RANGE_HOURS} hours up to the current hour (${hour}, ${formatHour(hour, true)} UTC). Choose a custom range.`;
    hoursChart.show({ from: Math.max(0, hour - hours + 1), to: hour, hours: [] });
    return;
  }
  const epoch = looksLikeEpochHours(resolved.from);
  const span = resolved.to - resolved.from + 1;
  const utc = epoch ? ` (${formatHour(resolved.from, true)} to ${formatHour(resolved.to, true)} UTC)` : '';
  label.textContent = `Hours ${resolved.from} to ${resolved.to}${utc}: ${span} hour${span === 1 ? '' : 's'}.`;
  hoursChart.show(resolved);
}

function showTop(top: PromiseSettledResult<TopAnswer> | undefined) {
  if (top?.status === 'rejected') return panelError('top-error', top.reason);
  panelError('top-error', undefined);
  showTotals(top?.value.total);
  const table = byId<HTMLTableElement>('top-table');
  if (top) renderTopTable(table, top.value);
  else for (const part of [table.tHead, table.tBodies[0], table.tFoot]) part?.replaceChildren();
}

function showCounts(counts: PromiseSettledResult<CountsAnswer>) {
  if (counts.status === 'rejected') return panelError('counts-error', counts.reason);
  panelError('counts-error', undefined);
  showLatestCount(counts.value.counts.at(-1));
  countsChart.show(counts.value.counts);
}

/**
 * The last hour is the service's default, by its own clock. A longer span is `countsHours` wide exactly, so
 * it stays within the retention however the clocks differ; it ends a minute ahead, so a browser clock a
 * little behind the server's still gets the newest minute.
 */
function countsOf(now: Date): Promise<CountsAnswer> {
  if (state.countsHours === 1) return api.counts();
  const until = now.getTime() + 60_000;
  return api.counts(new Date(until - state.countsHours * 3_600_000), new Date(until));
}

function showBanner(message: string) {
  banner.textContent = message;
  banner.hidden = false;
}

function settle<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
}
