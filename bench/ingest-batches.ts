import { jsonPost, load } from './lib/load.js';
import { startFloor, startService } from './lib/processes.js';
import { type BenchOptions, isMain, type Row, runMain } from './lib/report.js';
import { randomBatches } from './lib/workload.js';

/** (a) 1000-record batches over 32 connections: records/s against the ingest floor. */
export async function run({ seconds, smoke }: BenchOptions): Promise<Row[]> {
  const size = 1000;
  const requests = randomBatches(16, size, smoke ? 1000 : 10_000, 1).map(jsonPost);
  const best = await alternate(smoke ? 1 : 2, 'floor-ingest.ts', (base) =>
    load({ url: base, connections: 32, seconds, requests }).then((r) => r.requests.mean * size),
  );
  return [
    {
      scenario: '(a)',
      measure: '1000-record batches, 32 connections',
      unit: 'records/s',
      ...best,
      target: '>= 1.0',
      note: 'floor: bare node:http + JSON.parse + Map of string keys',
    },
  ];
}

/**
 * Measures the service and a floor in turns (service, floor, service, floor...) and keeps each one's
 * best run, so a neighbour's burst of CPU on this shared machine does not decide the ratio.
 */
export async function alternate(
  rounds: number,
  floorScript: string,
  measure: (base: string) => Promise<number>,
): Promise<{ service: number; floor: number }> {
  const service = await startService();
  const floor = await startFloor(floorScript);
  try {
    let best = { service: 0, floor: 0 };
    for (let round = 0; round < rounds; round++) {
      best = {
        service: Math.max(best.service, await measure(service.base)),
        floor: Math.max(best.floor, await measure(floor.base)),
      };
    }
    return best;
  } finally {
    await Promise.all([service.stop(), floor.stop()]);
  }
}

if (isMain(import.meta.url)) await runMain(run);
