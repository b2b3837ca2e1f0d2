import type { Request } from 'autocannon';
import { loadDistinct } from './distinct-load.js';
import { load } from './load.js';

/**
 * One load generator as its own process, for side-by-side runs (side-by-side.ts): it waits until
 * `startAt` (ms since the epoch) so that two of them warm up and measure over the same seconds, runs
 * `load` (or `loadDistinct`: a new Idempotency-Key on every request) and prints `{ rate, requests }`.
 * `node --import tsx bench/lib/load-process.ts '<LoadJob as JSON>'`.
 */
export interface LoadJob {
  url: string;
  connections: number;
  seconds: number;
  startAt: number;
  /** autocannon's requests, taken in turn; or, with `distinctKeys`, the bodies. */
  requests: Request[];
  /** Each request is a POST /flows of the next body with a new Idempotency-Key: `${distinctKeys}-${i}`. */
  distinctKeys?: string;
}

/** A generator that starts later than this is not measuring the same seconds as the other one. */
const LATE_MS = 50;

const job = JSON.parse(process.argv[2] ?? '') as LoadJob;
const wait = job.startAt - Date.now();
if (wait < -LATE_MS) throw new Error(`load generator started ${-wait} ms after the agreed time`);
await new Promise((resolve) => setTimeout(resolve, wait));

const result = job.distinctKeys === undefined ? await load(job).then(rateOf) : await loadDistinct({ ...job, request });
process.stdout.write(`${JSON.stringify(result)}\n`);

function rateOf({ requests }: { requests: { mean: number; total: number } }) {
  return { rate: requests.mean, requests: requests.total };
}

function request(i: number): string {
  const body = job.requests[i % job.requests.length].body as string;
  return `POST /flows HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nIdempotency-Key: ${job.distinctKeys}-${i}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}
