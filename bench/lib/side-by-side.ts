import { execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMs } from './cpu.js';
import type { LoadJob } from './load-process.js';
import type { Server } from './processes.js';

/**
 * Two servers measured at the same time, each under its own load generator process, so that both
 * see the same machine. On these shared 2-core machines the speed moves by up to twofold from one
 * 5-second turn to the next, and ratios of turns taken one after the other moved as much: two copies of
 * the same service, best of six turns each, came out 0.91x and 1.37x (bench/RESULTS.md, (h), ninth
 * sitting). Side by side, the median of seven rounds of two copies of the plain Fastify app came out
 * 1.03x and 1.05x. Where `taskset` can, both servers share CPU 1 and both load generators CPU 0: the
 * servers then split one core evenly, and a server's requests/s follows its CPU a request.
 */
export interface SideBySideOptions {
  rounds: number;
  seconds: number;
  /** Both are started anew every round. */
  floor: () => Promise<Server>;
  service: () => Promise<Server>;
  /** The load of round `round` (its start time and URL are filled in). */
  job: (round: number) => Omit<LoadJob, 'url' | 'startAt' | 'seconds'>;
}

export interface SideBySide {
  /** requests/s in the round whose ratio is the median (the lower one of the middle two). */
  service: number;
  floor: number;
  /** Every round's ratio service/floor, in order. */
  ratios: number[];
  /** Server CPU a request in that round (µs), where /proc tells. */
  serviceCpuUs: number | undefined;
  floorCpuUs: number | undefined;
  pinned: boolean;
}

/** A pause after the servers start, for the work they do once started (as in alternate()). */
const SETTLE_MS = 2000;
/** Time for both load generator processes to start (about 0.7 s each on one core) before they begin together. */
const START_MS = 4000;

export async function sideBySide({ rounds, seconds, floor, service, job }: SideBySideOptions): Promise<SideBySide> {
  const results: RoundResult[] = [];
  let pinned = false;
  for (let round = 0; round < rounds; round++) {
    // New processes every round: two copies of the same server kept a gap of 1% to 7% for as long as
    // they ran (RESULTS.md, (h), ninth sitting), so a row measured on one pair would carry its pair's luck.
    // Each side starts first in every other round.
    const floorFirst = round % 2 === 0;
    const first = await (floorFirst ? floor : service)();
    const second = await (floorFirst ? service : floor)().catch(async (err: unknown) => {
      await first.stop();
      throw err;
    });
    const [floorServer, serviceServer] = floorFirst ? [first, second] : [second, first];
    try {
      pinned = pin(floorServer.pid, '1') && pin(serviceServer.pid, '1');
      await sleep(SETTLE_MS);
      const startAt = Date.now() + START_MS;
      const warmSeconds = Math.max(1, Math.round(seconds / 4));
      const measured = (server: Server) => {
        const loaded = runLoad({ ...job(round), url: server.base, seconds, startAt }, pinned);
        return measureCpu(server.pid, startAt + warmSeconds * 1000, loaded);
      };
      // Neither generator always starts first.
      const [s, f] =
        round % 2 === 0
          ? await Promise.all([measured(serviceServer), measured(floorServer)])
          : (await Promise.all([measured(floorServer), measured(serviceServer)])).reverse();
      results.push({ service: s, floor: f, ratio: s.rate / f.rate });
      console.error(
        `  round ${round + 1} of ${rounds}: service ${Math.round(s.rate)}/s, floor ${Math.round(f.rate)}/s, ratio ${(s.rate / f.rate).toFixed(2)}`,
      );
    } finally {
      await Promise.all([serviceServer.stop(), floorServer.stop()]);
    }
  }
  const median = [...results].sort((a, b) => a.ratio - b.ratio)[Math.floor((results.length - 1) / 2)];
  return {
    service: median.service.rate,
    floor: median.floor.rate,
    ratios: results.map((r) => r.ratio),
    serviceCpuUs: median.service.cpuUs,
    floorCpuUs: median.floor.cpuUs,
    pinned,
  };
}

interface Measured {
  rate: number;
  cpuUs: number | undefined;
}

interface RoundResult {
  service: Measured;
  floor: Measured;
  ratio: number;
}

/** Moves every thread of a process to one CPU; false where that cannot be done. */
function pin(pid: number, cpu: string): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function measureCpu(
  pid: number,
  measureAt: number,
  loaded: Promise<{ rate: number; requests: number }>,
): Promise<Measured> {
  let before: number | undefined;
  const timer = setTimeout(() => (before = cpuMs(pid)), Math.max(0, measureAt - Date.now()));
  const { rate, requests } = await loaded.finally(() => clearTimeout(timer));
  const after = cpuMs(pid);
  const cpuUs = before === undefined || after === undefined ? undefined : ((after - before) * 1000) / requests;
  return { rate, cpuUs };
}

function runLoad(job: LoadJob, pinned: boolean): Promise<{ rate: number; requests: number }> {
  const node = [process.execPath, '--import', 'tsx', 'bench/lib/load-process.ts', JSON.stringify(job)];
  const [command, ...args] = pinned ? ['taskset', '-c', '0', ...node] : node;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(stdout));
      else reject(new Error(`load on ${job.url} failed (exit ${code}):\n${stderr}`));
    });
  });
}
