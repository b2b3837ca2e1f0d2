import { type Exact, parseExact } from './exact-json.js';

export type Metric = 'bytes' | 'bytes_tx' | 'bytes_rx';
export type Dimension = 'src_app' | 'dest_app' | 'vpc_id' | 'hour';

export interface HourTotals {
  hour: number;
  flows: number;
  bytes_tx: Exact;
  bytes_rx: Exact;
}

export interface HoursAnswer {
  from_hour: number;
  to_hour: number;
  hours: HourTotals[];
}

export interface Sums {
  bytes_tx: Exact;
  bytes_rx: Exact;
  bytes: Exact;
  flows: Exact;
}

export type TopRow = Sums & Partial<Record<Dimension, string | number>>;

export interface TopAnswer {
  from_hour: number;
  to_hour: number;
  by: Dimension[];
  metric: Metric;
  limit: number;
  rows: TopRow[];
  other: Sums & { groups: number };
  total: Sums & { groups: number };
}

export interface MinuteCount {
  minute: string;
  unique_flows: number;
  records: number;
  bytes_tx: Exact;
  bytes_rx: Exact;
}

export interface CountsAnswer {
  since: string;
  until: string;
  counts: MinuteCount[];
}

/** The service answered 401 or 403: the page needs (another) API key. */
export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

/** The service could not be reached, or did not answer in time. */
export class UnreachableError extends Error {}

/** Any other answer than 200, with the service's own message (its error body). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 15_000;

/** The read-only API, with the tab's API key (if any) as the service expects it: `Authorization: Bearer`. */
export class Api {
  constructor(private readonly apiKey: () => string | null) {}

  hours(fromHour: number, toHour: number): Promise<HoursAnswer> {
    return this.get('/hours', { from_hour: String(fromHour), to_hour: String(toHour) });
  }

  top(fromHour: number, toHour: number, by: Dimension[], metric: Metric, limit: number): Promise<TopAnswer> {
    const query = { from_hour: String(fromHour), to_hour: String(toHour), by: by.join(','), metric };
    return this.get('/flows/top', { ...query, limit: String(limit) });
  }

  /** The published minute counts from `since` to `until`; without them, the service's default: the last hour. */
  counts(since?: Date, until?: Date): Promise<CountsAnswer> {
    return this.get('/counts', since && until ? { since: since.toISOString(), until: until.toISOString() } : {});
  }

  private async get<T>(path: string, query: Record<string, string>): Promise<T> {
    const key = this.apiKey();
    const url = `${path}?${new URLSearchParams(query)}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: key ? { authorization: `Bearer ${key}` } : {},
        cache: 'no-store',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      throw new UnreachableError(`cannot reach the service (${path})`);
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return parseExact<T>(text);
    const message = errorMessage(text) ?? `${response.status} ${response.statusText}`;
    if (response.status === 401 || response.status === 403) throw new AuthError(response.status, message);
    throw new ApiError(response.status, message);
  }
}

/** The message of the service's error body `{statusCode, code, error, message}`, if it is one. */
function errorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    return typeof body.message === 'string' ? body.message : undefined;
  } catch {
    return undefined;
  }
}
