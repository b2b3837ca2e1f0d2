import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../testkit/free-port.js';
import { record } from '../support/helper.js';
import { ServerProcess } from '../support/server-process.js';

const ROOT = new URL('../..', import.meta.url).pathname;

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

const countLines = async (path: string) =>
  (await readFile(path, 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** Log lines as they come; resolves `ready` with the server's own pid once it says it serves. */
function watchLogs(child: ChildProcess) {
  const logs: Record<string, unknown>[] = [];
  const ready = new Promise<{ pid: number; instance: string }>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('{')) return; // npm's own banner
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === 'flow aggregation ready')
        resolve({ pid: entry.pid as number, instance: entry.instance as string });
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before it was ready`)));
  });
  return { logs, ready };
}

describe('starting and stopping', () => {
  it('`npm start` passes SIGTERM to the server, which shuts down and publishes its partial minute', async () => {
    const port = await freePort();
    const countsFile = join(await mkdtemp(join(tmpdir(), 'flows-npm-start-')), 'counts.jsonl');
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HOST: '127.0.0.1',
        PORT: String(port),
        COUNTS_FILE: countsFile,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const { logs, ready } = watchLogs(npm);
    const { pid } = await ready;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/flows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([record({ bytes_tx: 7 })]),
      });
      expect(res.status).toBe(200);

      npm.kill('SIGTERM');
      // The server process itself must go, not only npm and its shell.
      expect(await waitUntil(() => !isAlive(pid), 15_000)).toBe(true);
      expect(logs.some((entry) => entry.msg === 'shutting down' && entry.signal === 'SIGTERM')).toBe(true);
      const counts = await countLines(countsFile);
      expect(counts.at(-1)).toMatchObject({ partial: true });
      expect(counts.reduce((sum, c) => sum + Number(c.bytes_tx), 0)).toBe(7);
    } finally {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  }, 120_000);

  it('a second instance on a port in use exits 1 and publishes nothing', async () => {
    const first = await ServerProcess.start({ ROTATION_INTERVAL_MS: '3600000' });
    try {
      const second = spawn(process.execPath, ['dist/server.js'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(first.port), COUNTS_FILE: first.countsFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      second.stdout?.on('data', (chunk) => {
        output += chunk;
      });
      const [code] = await once(second, 'exit');
      expect(code).toBe(1);
      expect(output).toMatch(/EADDRINUSE/);
      // Only a stopping process writes a partial count, and the first one is still running.
      expect((await countLines(first.countsFile)).filter((c) => c.partial)).toEqual([]);
      first.assertAlive();
    } finally {
      await first.stop();
    }
    // The instance that served publishes its partial minute, with its instance id.
    const partials = (await countLines(first.countsFile)).filter((c) => c.partial);
    expect(partials).toHaveLength(1);
    expect(partials[0]).toMatchObject({ partial: true, instance: first.logs.find((l) => l.instance)?.instance });
  });
});
