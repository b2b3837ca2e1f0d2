import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMs } from './cpu.js';
import { warmUpSeconds } from './load.js';
import type { LoadJob } from './load-process.js';
import { type Server, spawnTracked, stoppedIfFails } from './processes.js';

/**
 * Two servers measured at the same time, each under its own load generator process, so that both
 * see the same machine. On these shared 2-core machines the speed moves by up to twofold from one
 * 5-second turn to the next, and ratios of turns taken one after the other moved as much: two copies of
 * the same service, best of six turns each, came out 0.91x and 1.37x (bench/RESULTS.md, (h), ninth
 * sitting); side by side, one pair of copies read 1.01x to 1.06x round by round. Where `taskset` can,
 * both servers share CPU 1 and both load generators CPU 0, so a server's requests/s follows its CPU a
 * request (not exactly: in the ninth sitting's runs the faster server had 0.95 to 0.99 times the other's
 * share of the core, which pulls ratios toward 1.00x).
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
  /** requests/s in the round whose ratio is the median (of an even number of rounds, the lower of the middle two). */
  service: number;
  floor: number;
  /** Every round's ratio service/floor, in order. */
  ratios: number[];
  /** Server CPU a request in that round (µs), where /proc tells. */
  serviceCpuUs: number | undefined;
  floorCpuUs: number | undefined;
  /** Rounds in which both servers had CPU 1 and the load CPU 0. */
  pinnedRounds: number;
}

/** A pause after the servers start, for the work they do once started. */
const SETTLE_MS = 2000;
/** Time for both load generator processes to start (about 0.7 s each on one core) before they begin together. */
const START_MS = 4000;
/** A load generator still running this long after its measured seconds is stuck: it is killed. */
const OVERRUN_MS = 30_000;

export async function sideBySide({ rounds, seconds, floor, service, job }: SideBySideOptions): Promise<SideBySide> {
  const results: RoundResult[] = [];
  let pinnedRounds = 0;
  for (let round = 0; round < rounds; round++) {
    // New processes every round: two copies of the same server kept a gap of 1% to 7% for as long as
    // they ran (RESULTS.md, (h), ninth sitting), so a row measured on one pair would carry its pair's luck.
    // Which server starts first and whose load generator is spawned first go through all four
    // combinations every four rounds, so that neither side is favoured by either.
    const floorFirst = round % 2 === 0;
    const floorLoadFirst = Math.floor(round / 2) % 2 === 0;
    const first = await (floorFirst ? floor : service)();
    const second = await stoppedIfFails(first, (floorFirst ? service : floor)());
    const [floorServer, serviceServer] = floorFirst ? [first, second] : [second, first];
    try {
      const pinned = pinBoth(floorServer.pid, serviceServer.pid);
      if (pinned) pinnedRounds++;
      await sleep(SETTLE_MS);
      const startAt = Date.now() + START_MS;
      const window = {
        from: startAt + warmUpSeconds(seconds) * 1000,
        to: startAt + (warmUpSeconds(seconds) + seconds) * 1000,
      };
      const measured = (server: Server) =>
        measureCpu(server.pid, window, runLoad({ ...job(round), url: server.base, seconds, startAt }, pinned));
      const [f, s] = floorLoadFirst
        ? await Promise.all([measured(floorServer), measured(serviceServer)])
        : (await Promise.all([measured(serviceServer), measured(floorServer)])).reverse();
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
    pinnedRounds,
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

/** Both servers on CPU 1 (their load goes to CPU 0), or, where that cannot be done, neither. */
function pinBoth(...pids: number[]): boolean {
  if (availableParallelism() < 2) return false;
  try {
    for (const pid of pids) setCpus(pid, '1');
    return true;
  } catch {
    for (const pid of pids) {
      try {
        setCpus(pid, `0-${availableParallelism() - 1}`);
      } catch {
        // Not pinned in the first place.
      }
    }
    return false;
  }
}

/** Moves every thread of a process to `cpus` (taskset's list); throws where that cannot be done. */
function setCpus(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** The server's CPU a request over the measured seconds (read from /proc at their start and end). */
async function measureCpu(
  pid: number,
  window: { from: number; to: number },
  loaded: Promise<{ rate: number; requests: number }>,
): Promise<Measured> {
  let before: number | undefined;
  let after: number | undefined;
  const timers = [
    setTimeout(() => (before = cpuMs(pid)), Math.max(0, window.from - Date.now())),
    setTimeout(() => (after = cpuMs(pid)), Math.max(0, window.to - Date.now())),
  ];
  const { rate, requests } = await loaded.finally(() => {
    for (const timer of timers) clearTimeout(timer);
  });
  const cpuUs = before === undefined || after === undefined ? undefined : ((after - before) * 1000) / requests;
  return { rate, cpuUs };
}

function runLoad(job: LoadJob, pinned: boolean): Promise<{ rate: number; requests: number }> {
  const node = [process.execPath, '--import', 'tsx', 'bench/lib/load-process.ts', JSON.stringify(job)];
  const [command, ...args] = pinned ? ['taskset', '-c', '0', ...node] : node;
  return new Promise((resolve, reject) => {
    const child = spawnTracked(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stuck = setTimeout(
      () => child.kill('SIGKILL'),
      job.startAt - Date.now() + (warmUpSeconds(job.seconds) + job.seconds) * 1000 + OVERRUN_MS,
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(stuck);
      if (code === 0) resolve(JSON.parse(stdout));
      else reject(new Error(`load on ${job.url} failed (${signal ?? `exit ${code}`}):\n${stderr}`));
    });
  });
}
