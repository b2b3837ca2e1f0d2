import { setTimeout as sleep } from 'node:timers/promises';
import { randomBatches } from '../testkit/workload.js';
import { cpuMs } from './lib/cpu.js';
import { jsonPost, load } from './lib/load.js';
import { startFloor, startService } from './lib/processes.js';
import { type BenchOptions, cpuNote, isMain, type Row, runMain } from './lib/report.js';

/** (a) 1000-record batches over 32 connections: records/s against the ingest floor. */
export async function run({ seconds, smoke }: BenchOptions): Promise<Row[]> {
  const size = 1000;
  const requests = randomBatches(16, size, smoke ? 1000 : 10_000, 1).map(jsonPost);
  const best = await alternate(smoke ? 1 : 2, 'floor-ingest.ts', (base, onMeasure) =>
    load({ url: base, connections: 32, seconds, requests, onMeasure }).then((r) => ({
      rate: r.requests.mean * size,
      requests: r.requests.total,
    })),
  );
  return [
    {
      scenario: '(a)',
      measure: '1000-record batches, 32 connections',
      unit: 'records/s',
      service: best.service,
      floor: best.floor,
      target: '>= 1.0',
      note: `floor: bare node:http + JSON.parse + Map of string keys; ${cpuNote(best, size)}`,
    },
  ];
}

/**
 * A pause before each turn, so that the work a server does after its load stops (garbage collection)
 * does not land on the next turn. In a fixed order without one, the same build measured up to a third
 * slower in one position than in the other; that work is one cause that fits, an idle server's heap
 * shrunk by V8 another (RESULTS.md, (h), third sitting).
 */
const SETTLE_MS = 2000;

/**
 * Measures the service and a floor in turns, the order swapped every round (service, floor, floor,
 * service...) so that neither always goes first, and keeps each one's best run, so a neighbour's burst
 * of CPU on this shared machine does not decide the ratio.
 * `serviceEnv` configures the service (e.g. API keys); the floor is always the same script.
 */
export async function alternate(
  rounds: number,
  floorScript: string,
  measure: (base: string, onMeasure: () => void) => Promise<{ rate: number; requests: number }>,
  serviceEnv: Record<string, string> = {},
): Promise<Alternated> {
  const service = await startService(serviceEnv);
  const floor = await startFloor(floorScript);
  try {
    const best: Alternated = { service: 0, floor: 0, serviceCpuUs: undefined, floorCpuUs: undefined };
    for (let round = 0; round < rounds; round++) {
      const turns = [
        [service, 'service'],
        [floor, 'floor'],
      ] as const;
      for (const [server, side] of round % 2 === 0 ? turns : [...turns].reverse()) {
        await sleep(SETTLE_MS);
        let before: number | undefined;
        const { rate, requests } = await measure(server.base, () => {
          before = cpuMs(server.pid);
        });
        const after = cpuMs(server.pid);
        const cpuUs = before === undefined || after === undefined ? undefined : ((after - before) * 1000) / requests;
        console.error(`  round ${round + 1} of ${rounds}, ${side}: ${Math.round(rate)}/s`);
        if (rate > best[side]) {
          best[side] = rate;
          best[side === 'service' ? 'serviceCpuUs' : 'floorCpuUs'] = cpuUs;
        }
      }
    }
    return best;
  } finally {
    await Promise.all([service.stop(), floor.stop()]);
  }
}

export interface Alternated {
  service: number;
  floor: number;
  /** Server CPU per request in the best run (µs), where /proc tells. */
  serviceCpuUs: number | undefined;
  floorCpuUs: number | undefined;
}

if (isMain(import.meta.url)) await runMain(run);
