import type { Dimension, Metric } from './api.js';

/** The latest `hours` hours that have data, or a fixed inclusive range of hour numbers. */
export type HourRange = { kind: 'latest'; hours: number } | { kind: 'custom'; from: number; to: number };

export interface ViewState {
  range: HourRange;
  by: Dimension[];
  metric: Metric;
  limit: number;
  /** How far back the minute-count chart goes. */
  countsHours: number;
}

export const MAX_RANGE_HOURS = 744;
const MAX_HOUR = 2 ** 31 - 1;
const LATEST_CHOICES = [6, 24, 168];
const BY_CHOICES = ['src_app', 'dest_app', 'vpc_id', 'src_app,dest_app', 'src_app,dest_app,vpc_id'];
export const METRICS: Metric[] = ['bytes', 'bytes_tx', 'bytes_rx'];
const LIMITS = [10, 25, 100];
const COUNTS_HOURS = [1, 6, 24];

const DEFAULTS: ViewState = {
  range: { kind: 'latest', hours: 24 },
  by: ['src_app'],
  metric: 'bytes',
  limit: 10,
  countsHours: 1,
};

/** The view the page's URL asks for (`?from_hour=&to_hour=&by=&metric=&limit=&latest=&counts_hours=`). */
export function readViewState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const choice = <T>(name: string, allowed: readonly T[], parse: (raw: string) => T, fallback: T): T => {
    const raw = params.get(name);
    if (raw === null) return fallback;
    const value = parse(raw);
    return allowed.includes(value) ? value : fallback;
  };
  const from = hourParam(params.get('from_hour'));
  const to = hourParam(params.get('to_hour'));
  const range: HourRange =
    from !== undefined && to !== undefined && rangeProblem(from, to) === undefined
      ? { kind: 'custom', from, to }
      : { kind: 'latest', hours: choice('latest', LATEST_CHOICES, Number, 24) };
  return {
    range,
    by: choice('by', BY_CHOICES, String, DEFAULTS.by.join(',')).split(',') as Dimension[],
    metric: choice('metric', METRICS, (raw) => raw as Metric, DEFAULTS.metric),
    limit: choice('limit', LIMITS, Number, DEFAULTS.limit),
    countsHours: choice('counts_hours', COUNTS_HOURS, Number, DEFAULTS.countsHours),
  };
}

/** The URL query for a view, so a reload or a shared link shows the same thing. */
export function writeViewState(state: ViewState): string {
  const params = new URLSearchParams();
  if (state.range.kind === 'custom') {
    params.set('from_hour', String(state.range.from));
    params.set('to_hour', String(state.range.to));
  } else params.set('latest', String(state.range.hours));
  params.set('by', state.by.join(','));
  params.set('metric', state.metric);
  params.set('limit', String(state.limit));
  params.set('counts_hours', String(state.countsHours));
  return `?${params}`;
}

/** What is wrong with an hour range, in words, or undefined when the API will take it. */
export function rangeProblem(from: number, to: number): string | undefined {
  if (!Number.isInteger(from) || !Number.isInteger(to)) return 'hours are whole numbers';
  if (from < 0 || to > MAX_HOUR) return `hours go from 0 to ${MAX_HOUR}`;
  if (from > to) return '"from" must not be after "to"';
  if (to - from + 1 > MAX_RANGE_HOURS) return `a range spans at most ${MAX_RANGE_HOURS} hours`;
  return undefined;
}

function hourParam(raw: string | null): number | undefined {
  return raw !== null && /^\d{1,10}$/.test(raw) ? Number(raw) : undefined;
}
