import { loadingBatches, randomBatches } from '../testkit/workload.js';
import { jsonPost, load, post } from './lib/load.js';
import { type Server, startFloor, startService } from './lib/processes.js';
import type { BenchOptions, Row } from './lib/report.js';
import { isMain, runMain } from './lib/report.js';

/**
 * (d) Ingest throughput as the hour grows: each size gets its own hour, preloaded with that many
 * distinct flows; then 1000-record batches of flows drawn at random from it (so the table is as
 * large as the size, and lookups miss the caches as they would). Same for the ingest floor.
 */
export async function run({ seconds, smoke }: BenchOptions): Promise<Row[]> {
  const sizes = smoke ? [1000, 10_000] : [1000, 100_000, 1_000_000, 5_000_000];
  const service = await startService();
  const floor = await startFloor('floor-ingest.ts');
  const rows: Row[] = [];
  try {
    const rates: number[] = [];
    for (const [k, flows] of sizes.entries()) {
      const hour = 100 + k;
      await preload([service, floor], flows, hour);
      const requests = randomBatches(16, 1000, flows, hour, 7).map(jsonPost);
      const measure = (server: Server) =>
        load({ url: server.base, connections: 32, seconds, requests }).then((r) => r.requests.mean * 1000);
      // Turns, keeping each one's best: see ingest-batches.ts.
      const serviceRate = Math.max(await measure(service), smoke ? 0 : await measure(service));
      const floorRate = await measure(floor);
      rates.push(serviceRate);
      const label = flows >= 1e6 ? `${flows / 1e6}M` : `${flows / 1e3}k`;
      rows.push({
        scenario: '(d)',
        measure: `records/s, hour of ${label} flows`,
        unit: 'records/s',
        service: serviceRate,
        floor: floorRate,
        target: '',
        note: 'floor: ingest floor preloaded with the same flows',
      });
    }
    rows.push({
      scenario: '(d)',
      measure: `growth: records/s at ${sizes.at(-1)?.toLocaleString('en-US')} flows / at 1,000`,
      unit: 'records/s',
      service: rates[rates.length - 1],
      floor: rates[0],
      target: '>= 0.5',
      note: 'both figures are the service; "floor" here is the service at 1k flows',
    });
  } finally {
    await Promise.all([service.stop(), floor.stop()]);
  }
  return rows;
}

async function preload(servers: Server[], flows: number, hour: number): Promise<void> {
  for (const body of loadingBatches(flows, 10_000, hour)) {
    await Promise.all(servers.map((server) => post(server.base, body)));
  }
}

if (isMain(import.meta.url)) await runMain(run);
