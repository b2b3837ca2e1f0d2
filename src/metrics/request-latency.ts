import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastHistogram, Series } from './fast-histogram.js';

type LatencyLabels = 'method' | 'route' | 'status_code';

/** The series of one route, by method and status, each resolved once. */
export class RouteLatency {
  readonly #byMethod = new Map<string, Map<number, Series>>();

  constructor(
    private readonly histogram: FastHistogram<LatencyLabels>,
    private readonly route: string,
  ) {}

  observe(method: string, status: number, seconds: number): void {
    let byStatus = this.#byMethod.get(method);
    if (!byStatus) {
      byStatus = new Map();
      this.#byMethod.set(method, byStatus);
    }
    let series = byStatus.get(status);
    if (!series) {
      series = this.histogram.series({ method, route: this.route, status_code: status });
      byStatus.set(status, series);
    }
    series.observe(seconds);
  }
}

const started = Symbol('flows.requestStarted');
const routeOf = Symbol('flows.requestRoute');

interface TimedRequest extends IncomingMessage {
  [started]?: number;
  [routeOf]?: RouteLatency;
}

interface HttpMessage {
  request: TimedRequest;
  response: ServerResponse;
  server: Server;
}

const REQUEST_START = 'http.server.request.start';
const RESPONSE_FINISH = 'http.server.response.finish';

/**
 * Request latency from Node's own diagnostics channels: the request is timed from when Node parsed its
 * head to when its answer was handed to the socket, with no Fastify hook and no event listener a request
 * (an onResponse hook needs a 'finish' and an 'error' listener on every response, which cost more CPU
 * than handling a single-record POST; A/B in bench/RESULTS.md). Requests to `server` only, labelled with
 * the route `label` gave them, `unmatched` otherwise. Returns the function that stops it. Requests
 * made with `inject` (no server) are not timed.
 */
export function timeRequests(server: Server, unmatched: RouteLatency): () => void {
  const onStart = (message: unknown) => {
    const { request, server: from } = message as HttpMessage;
    if (from === server) request[started] = performance.now();
  };
  const onFinish = (message: unknown) => {
    const { request, response, server: from } = message as HttpMessage;
    const start = request[started];
    if (from !== server || start === undefined) return;
    const route = request[routeOf] ?? unmatched;
    route.observe(request.method ?? '', response.statusCode, (performance.now() - start) / 1000);
  };
  subscribe(REQUEST_START, onStart);
  subscribe(RESPONSE_FINISH, onFinish);
  return () => {
    unsubscribe(REQUEST_START, onStart);
    unsubscribe(RESPONSE_FINISH, onFinish);
  };
}

/** Labels the request with its route, unless it already has one. */
export function label(request: IncomingMessage, route: RouteLatency): void {
  (request as TimedRequest)[routeOf] ??= route;
}
