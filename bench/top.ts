import { loadingBatches } from '../testkit/workload.js';
import { timeRequests } from './get-hour.js';
import { post } from './lib/load.js';
import { startService } from './lib/processes.js';
import type { BenchOptions, Row } from './lib/report.js';
import { isMain, runMain } from './lib/report.js';
import { checkSameRows, topBySource, topBySourceInClient } from './lib/top-floor.js';

/**
 * (g) Top talkers: `GET /flows/top` top-10 by src_app over one hour of 1M flows (1000 source apps), in
 * memory, against the floor a user has today: GET the hour and sum it in the client. Each is timed
 * request by request, from sending to the last byte parsed (and, for the floor, summed and sorted),
 * in the same run against the same service process; both answers are checked equal first.
 */
export async function run({ seconds, smoke }: BenchOptions): Promise<Row[]> {
  const flows = smoke ? 10_000 : 1_000_000;
  const hour = 30;
  const service = await startService();
  try {
    for (const body of loadingBatches(flows, 10_000, hour)) await post(service.base, body);
    checkSameRows(await topBySource(service.base, hour, 10), await topBySourceInClient(service.base, hour, 10));
    const top = await timeRequests(seconds, async () => {
      await topBySource(service.base, hour, 10);
    });
    const floor = await timeRequests(seconds, async () => {
      await topBySourceInClient(service.base, hour, 10);
    });
    const label = flows >= 1e6 ? `${flows / 1e6}M` : `${flows / 1e3}k`;
    return [
      {
        scenario: '(g)',
        measure: `top-10 by src_app p50, ${label} flows in the hour`,
        unit: 'ms',
        service: top.p50,
        floor: floor.p50,
        target: '<= 0.1',
        note: `GET /flows/top p99 ${top.p99.toFixed(1)} ms; floor = GET /flows?hour=N + JSON.parse + sum + sort in the client, p99 ${floor.p99.toFixed(1)} ms`,
      },
    ];
  } finally {
    await service.stop();
  }
}

if (isMain(import.meta.url)) await runMain(run);
