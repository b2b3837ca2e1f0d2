import { closeSync, fdatasyncSync, mkdtempSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadingBatches, randomBatches } from '../testkit/workload.js';
import { jsonPost, load, post } from './lib/load.js';
import { type Server, startService } from './lib/processes.js';
import type { BenchOptions, Row } from './lib/report.js';
import { isMain, runMain } from './lib/report.js';

/**
 * (i) DATA_DIR (write-ahead log and snapshots) on the machine's own disk, under the system temporary
 * directory: ingest against the same service without it, restart times, and disk bytes per flow.
 */
export async function run({ seconds, smoke }: BenchOptions): Promise<Row[]> {
  const rows = [await ingest(seconds, smoke)];
  for (const flows of smoke ? [10_000] : [1_000_000, 5_000_000]) rows.push(...(await restarts(flows)));
  return rows;
}

const dataDir = () => mkdtempSync(join(tmpdir(), 'flows-bench-data-'));

/** 1000-record batches over 32 connections, with DATA_DIR and without, measured in turns (best of each). */
async function ingest(seconds: number, smoke: boolean): Promise<Row> {
  const dir = dataDir();
  const durable = await startService({ DATA_DIR: dir });
  const volatile = await startService();
  const requests = randomBatches(16, 1000, smoke ? 1000 : 10_000, 1).map(jsonPost);
  const best = { durable: 0, volatile: 0 };
  let disk = '';
  try {
    for (let round = 0; round < (smoke ? 1 : 3); round++) {
      for (const [server, side] of [
        [durable, 'durable'],
        [volatile, 'volatile'],
      ] as const) {
        const result = await load({ url: server.base, connections: 32, seconds, requests });
        best[side] = Math.max(best[side], result.requests.mean * 1000);
      }
    }
    disk = syncLatency(dir);
  } finally {
    await Promise.all([durable.stop(), volatile.stop()]);
  }
  return {
    scenario: '(i)',
    measure: '1000-record batches, 32 connections, DATA_DIR set',
    unit: 'records/s',
    service: best.durable,
    floor: best.volatile,
    target: '>= 0.7',
    note: `floor: the same service without DATA_DIR; each batch is answered after its group commit (one O_DSYNC write); the disk after the runs: ${disk}`,
  };
}

/** The disk's own flush latency, which bounds group commit: 32 KiB appends, each followed by fdatasync. */
function syncLatency(dir: string): string {
  const path = join(dir, 'sync-probe');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(32 * 1024, 1);
  const ms: number[] = [];
  for (let i = 0; i < 50; i++) {
    const started = performance.now();
    writeSync(fd, block);
    fdatasyncSync(fd);
    ms.push(performance.now() - started);
  }
  closeSync(fd);
  unlinkSync(path);
  ms.sort((a, b) => a - b);
  return `32 KiB write + fdatasync p50 ${ms[25].toFixed(1)} ms, p90 ${ms[45].toFixed(1)} ms`;
}

/**
 * Loads `flows` distinct flows with no snapshot taken, kills the process (kill -9) and times the restart
 * that replays the whole log; stops that one (SIGTERM writes a snapshot) and times the restart from the
 * snapshot. Floor: the start with an empty DATA_DIR. Disk bytes per flow of the log and of the snapshot,
 * against 28 (three int32 name ids and two float64 totals, the least a raw row can hold).
 */
async function restarts(flows: number): Promise<Row[]> {
  const label = flows >= 1e6 ? `${flows / 1e6}M` : `${flows / 1e3}k`;
  const dir = dataDir();
  const noSnapshots = { DATA_DIR: dir, SNAPSHOT_LOG_BYTES: String(2 ** 40), SNAPSHOT_INTERVAL_MS: '86400000' };
  const first = await startService(noSnapshots);
  await preload(first, flows);
  await first.stop('SIGKILL');
  const logBytes = diskBytes(dir);
  const fromLog = await timedStart(noSnapshots);
  await fromLog.server.stop();
  const snapshotBytes = diskBytes(dir);
  const fromSnapshot = await timedStart({ DATA_DIR: dir });
  await fromSnapshot.server.stop();
  const empty = await timedStart({ DATA_DIR: dataDir() });
  await empty.server.stop();
  const restart = (how: string, ms: number, note: string): Row => ({
    scenario: '(i)',
    measure: `restart with ${label} flows, ${how}`,
    unit: 'ms',
    service: ms,
    floor: empty.ms,
    target: '',
    note: `floor: start with an empty DATA_DIR; ${note}`,
  });
  const disk = (what: string, bytes: number): Row => ({
    scenario: '(i)',
    measure: `disk per flow, ${label} flows, ${what}`,
    unit: 'bytes/flow',
    service: bytes / flows,
    floor: 28,
    target: '',
    note: `${(bytes / 2 ** 20).toFixed(1)} MiB; floor: 3 int32 name ids + 2 float64 totals`,
  });
  return [
    restart('from the snapshot (after SIGTERM)', fromSnapshot.ms, 'reads the snapshot, no log'),
    restart(
      'replaying the whole log (kill -9, no snapshot yet)',
      fromLog.ms,
      `${(logBytes / 2 ** 20).toFixed(0)} MiB of log`,
    ),
    disk('snapshot', snapshotBytes),
    disk('log (1000-record batches)', logBytes),
  ];
}

async function preload(server: Server, flows: number): Promise<void> {
  const pending: Promise<void>[] = [];
  for (const body of loadingBatches(flows, 1000, 1)) {
    pending.push(post(server.base, body));
    if (pending.length === 16) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}

async function timedStart(env: Record<string, string>): Promise<{ server: Server; ms: number }> {
  const started = performance.now();
  const server = await startService(env);
  return { server, ms: performance.now() - started };
}

const diskBytes = (dir: string) => readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);

if (isMain(import.meta.url)) await runMain(run);
