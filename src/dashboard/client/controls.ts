import type { Dimension, Metric } from './api.js';
import { byId } from './dom.js';
import { rangeProblem, type ViewState } from './view-state.js';

/**
 * The page's controls (hour range, top-talker dimension, metric and rows, minute-count span), shown as
 * `state` says; `onChange` gets the new state whenever the user changes one.
 */
export function bindControls(
  state: ViewState,
  shown: () => { from: number; to: number } | undefined,
  onChange: (next: ViewState) => void,
  onProblem: (problem: string) => void,
): void {
  const mode = byId<HTMLSelectElement>('range-mode');
  const custom = byId('custom-range');
  const from = byId<HTMLInputElement>('from-hour');
  const to = byId<HTMLInputElement>('to-hour');
  const by = byId<HTMLSelectElement>('top-by');
  const metric = byId<HTMLSelectElement>('top-metric');
  const limit = byId<HTMLSelectElement>('top-limit');
  const countsHours = byId<HTMLSelectElement>('counts-hours');

  mode.value = state.range.kind === 'custom' ? 'custom' : String(state.range.hours);
  custom.hidden = state.range.kind !== 'custom';
  if (state.range.kind === 'custom') {
    from.value = String(state.range.from);
    to.value = String(state.range.to);
  }
  by.value = state.by.join(',');
  metric.value = state.metric;
  limit.value = String(state.limit);
  countsHours.value = String(state.countsHours);

  const change = (patch: Partial<ViewState>) => {
    state = { ...state, ...patch };
    onChange(state);
  };
  mode.addEventListener('change', () => {
    custom.hidden = mode.value !== 'custom';
    const range = shown();
    if (mode.value === 'custom' && range && from.value === '') {
      from.value = String(range.from);
      to.value = String(range.to);
    }
    if (mode.value !== 'custom') change({ range: { kind: 'latest', hours: Number(mode.value) } });
  });
  byId<HTMLFormElement>('range-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const [a, b] = [Number(from.value), Number(to.value)];
    const problem = rangeProblem(a, b);
    if (problem) onProblem(`Hour range: ${problem}.`);
    else change({ range: { kind: 'custom', from: a, to: b } });
  });
  by.addEventListener('change', () => change({ by: by.value.split(',') as Dimension[] }));
  metric.addEventListener('change', () => change({ metric: metric.value as Metric }));
  limit.addEventListener('change', () => change({ limit: Number(limit.value) }));
  countsHours.addEventListener('change', () => change({ countsHours: Number(countsHours.value) }));
}
