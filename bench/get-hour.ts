import { Agent, get } from 'node:http';
import { flow, loadingBatches } from '../testkit/workload.js';
import { stringifyLatency } from './floor-serialization.js';
import { load, post } from './lib/load.js';
import { startService } from './lib/processes.js';
import type { BenchOptions, Row } from './lib/report.js';
import { isMain, runMain } from './lib/report.js';

/**
 * (c) GET /flows?hour=N for hours holding 10k, 100k and 1M flows, against JSON.stringify of the same
 * array in-process. Latency is timed here request by request (autocannon reports whole milliseconds),
 * from sending the request to the last byte of the answer; autocannon gives requests/s.
 * "warm": the hour is read again and again, unchanged. "after a write": each GET follows a one-record
 * POST to that hour, so the service must serialize afresh (its cache of recent answers is stale).
 * "gzip": the same GETs with `Accept-Encoding: gzip`, against the same GET uncompressed as the floor
 * (on loopback the bytes saved cost nothing, so this shows compression's price, not its gain).
 */
export async function run({ seconds, smoke }: BenchOptions): Promise<Row[]> {
  const sizes = smoke ? [1000, 10_000] : [10_000, 100_000, 1_000_000];
  // No load shedding: on a shared machine a stalled second would turn a measurement into a 503.
  const service = await startService({ SHED_MAX_EVENT_LOOP_DELAY_MS: '0' });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const rows: Row[] = [];
  try {
    for (const [k, flows] of sizes.entries()) {
      const hour = 10 + k;
      for (const body of loadingBatches(flows, 10_000, hour)) await post(service.base, body);
      const path = `/flows?hour=${hour}`;
      const array = (await (await fetch(service.base + path)).json()) as unknown[];
      if (array.length !== flows) throw new Error(`hour ${hour} holds ${array.length} flows, not ${flows}`);
      const floor = stringifyLatency(array, seconds);
      const warm = await timeRequests(seconds, () => getBody(agent, service.base + path));
      const warmGzip = await timeRequests(seconds, () => getBody(agent, service.base + path, GZIP));
      const throughput = await load({
        url: service.base,
        connections: 4,
        // Long enough for each connection to finish two answers: four answers of a big hour stream side
        // by side and finish together, so a run shorter than that can end with none complete.
        seconds: Math.max(seconds, Math.ceil((8 * warm.p50) / 1000)),
        requests: [{ method: 'GET', path }],
      });
      const { src_app, dest_app, vpc_id } = flow(0);
      const oneRecord = JSON.stringify([{ src_app, dest_app, vpc_id, bytes_tx: 1, bytes_rx: 1, hour }]);
      const cold = await timeRequests(
        seconds,
        () => getBody(agent, service.base + path),
        () => post(service.base, oneRecord),
      );
      const coldGzip = await timeRequests(
        seconds,
        () => getBody(agent, service.base + path, GZIP),
        () => post(service.base, oneRecord),
      );
      const [plainBytes, gzipBytes] = [
        await getBody(agent, service.base + path),
        await getBody(agent, service.base + path, GZIP),
      ];
      const sizes = `${formatBytes(plainBytes)} sent uncompressed, ${formatBytes(gzipBytes)} gzip`;
      const label = flows >= 1e6 ? `${flows / 1e6}M` : `${flows / 1e3}k`;
      const floorNote = `floor p99 ${floor.p99.toFixed(1)} ms`;
      rows.push(
        {
          scenario: '(c)',
          measure: `GET p50, ${label} flows, warm`,
          unit: 'ms',
          service: warm.p50,
          floor: floor.p50,
          target: flows === 100_000 ? '<= 1.2' : '',
          note: `p99 ${warm.p99.toFixed(1)} ms, ${floorNote}; ${throughput.requests.mean.toFixed(1)} requests/s over 4 connections`,
        },
        {
          scenario: '(c)',
          measure: `GET p50, ${label} flows, after a write`,
          unit: 'ms',
          service: cold.p50,
          floor: floor.p50,
          target: '',
          note: `p99 ${cold.p99.toFixed(1)} ms, ${floorNote}`,
        },
        {
          scenario: '(c)',
          measure: `GET p50, ${label} flows, warm, gzip vs uncompressed`,
          unit: 'ms',
          service: warmGzip.p50,
          floor: warm.p50,
          target: '',
          note: `p99 ${warmGzip.p99.toFixed(1)} ms; ${sizes}`,
        },
        {
          scenario: '(c)',
          measure: `GET p50, ${label} flows, after a write, gzip vs uncompressed`,
          unit: 'ms',
          service: coldGzip.p50,
          floor: cold.p50,
          target: '',
          note: `p99 ${coldGzip.p99.toFixed(1)} ms`,
        },
      );
    }
  } finally {
    agent.destroy();
    await service.stop();
  }
  return rows;
}

/** Times `request` over `seconds` (at least 5 times), running `before` untimed ahead of each. */
export async function timeRequests(
  seconds: number,
  request: () => Promise<unknown>,
  before?: () => Promise<unknown>,
): Promise<{ p50: number; p99: number }> {
  await request(); // warm-up
  const times: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (times.length < 5 || performance.now() < until) {
    await before?.();
    const start = performance.now();
    await request();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

const GZIP = { 'accept-encoding': 'gzip' };

/** Reads the whole answer as sent (not decompressed); resolves with the bytes received. */
function getBody(agent: Agent, url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent, headers }, (res) => {
      if (res.statusCode !== 200) {
        res.setEncoding('utf8');
        res.on('data', (text) => reject(new Error(`GET ${url}: ${res.statusCode} ${text}`)));
        return;
      }
      const encoding = res.headers['content-encoding'] ?? 'identity';
      if (encoding !== (headers['accept-encoding'] ?? 'identity')) reject(new Error(`GET ${url}: ${encoding} answer`));
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => resolve(bytes));
      res.on('error', reject);
    }).on('error', reject);
  });
}

const formatBytes = (bytes: number) =>
  bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(0)} kB`;

if (isMain(import.meta.url)) await runMain(run);
