import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../testkit/free-port.js';

const children = new Set<ChildProcess>();
let stopsWithSignals = false;

/**
 * Spawns a child that does not outlive the benchmark: stopped with it by Ctrl-C or SIGTERM (a benchmark
 * stopped halfway left its servers running, and the next run measured beside them).
 */
export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  if (!stopsWithSignals) {
    stopsWithSignals = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopChildren(signal));
  }
  const child = spawn(command, args, options);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function stopChildren(signal: NodeJS.Signals): void {
  for (const child of children) child.kill('SIGKILL');
  process.kill(process.pid, signal);
}

export interface Server {
  base: string;
  pid: number;
  /** SIGTERM (graceful) unless another signal is given, e.g. SIGKILL for a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `work`'s result; if it fails, `server` (which it needed) is stopped first. */
export async function stoppedIfFails<T>(server: Server, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/**
 * The built service (`dist/server.js`) as its own process, as operators run it; `checkout`: another
 * checkout's build (its own dist/ and node_modules), for comparing two builds (compare-builds.ts).
 */
export function startService(env: Record<string, string> = {}, checkout = '.'): Promise<Server> {
  const countsFile = join(mkdtempSync(join(tmpdir(), 'flows-bench-')), 'counts.jsonl');
  return start([join(checkout, 'dist/server.js')], 'flow aggregation ready', (port) => ({
    PORT: String(port),
    HOST: '127.0.0.1',
    COUNTS_FILE: countsFile,
    LOG_LEVEL: 'info',
    ...env,
  }));
}

/** A floor server script from bench/, as its own process like the service; `preload`: modules imported first. */
export function startFloor(script: string, preload: string[] = []): Promise<Server> {
  const imports = [...preload, 'tsx'].flatMap((module) => ['--import', module]);
  return start([...imports, join('bench', script)], 'listening', (port) => ({ PORT: String(port) }));
}

async function start(
  args: string[],
  readyText: string,
  env: (port: number) => Record<string, string>,
): Promise<Server> {
  const port = await freePort();
  const child = spawnTracked(process.execPath, args, {
    env: { ...process.env, ...env(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < 100_000) output += chunk;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (output.includes(readyText)) {
        clearInterval(poll);
        resolve();
      }
    }, 20);
    exited.then(() => {
      clearInterval(poll);
      reject(new Error(`${args.join(' ')} exited before it was ready:\n${output}`));
    });
  });
  return {
    base: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
