import { randomBatches } from '../testkit/workload.js';
import { alternate } from './ingest-batches.js';
import { jsonPost, load } from './lib/load.js';
import { type BenchOptions, cpuNote, isMain, type Row, runMain } from './lib/report.js';

/** (b) single-record POSTs over 32 connections: requests/s against the transport floor. */
export async function run({ seconds, smoke }: BenchOptions): Promise<Row[]> {
  const requests = randomBatches(64, 1, 10_000, 1).map(jsonPost);
  const best = await alternate(smoke ? 1 : 2, 'floor-transport.ts', (base, onMeasure) =>
    load({ url: base, connections: 32, seconds, requests, onMeasure }).then((r) => ({
      rate: r.requests.mean,
      requests: r.requests.total,
    })),
  );
  return [
    {
      scenario: '(b)',
      measure: 'single-record POSTs, 32 connections',
      unit: 'requests/s',
      service: best.service,
      floor: best.floor,
      target: '>= 0.9',
      note: `floor: bare node:http answering 200 without parsing; ${cpuNote(best, 1)}`,
    },
  ];
}

if (isMain(import.meta.url)) await runMain(run);
