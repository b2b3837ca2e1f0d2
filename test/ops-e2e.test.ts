import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, test } from 'vitest';

const SERVER = join(import.meta.dirname, '..', 'dist', 'server.js');
const KEY = 'e2e-ingest-key-0123456789abcdef';

interface Started {
  child: ChildProcess;
  base: string;
  lines: Record<string, unknown>[];
}

/** Starts the built server on a free port and resolves once it logs where it listens. */
async function start(env: Record<string, string>): Promise<Started> {
  const dir = await mkdtemp(join(tmpdir(), 'flows-ops-e2e-'));
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', COUNTS_FILE: join(dir, 'counts.jsonl'), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  const base = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string };
      lines.push(entry);
      const match = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/.exec(entry.msg ?? '');
      if (match) resolve(match[1]);
    });
  });
  return { child, base, lines };
}

// dist/ is built by `npm test` before Vitest runs; a lone run of this file needs `npm run build` first.
describe.skipIf(!existsSync(SERVER))('the built server', () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  test('without keys it warns that authentication is off, and serves the probes', async () => {
    const server = await start({});
    children.push(server.child);
    expect(server.lines.some((l) => l.level === 40 && String(l.msg).startsWith('authentication is off'))).toBe(true);
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
    expect(await (await fetch(`${server.base}/ready`)).json()).toEqual({
      status: 'ready',
      store: 'up',
      sink: { kind: 'file' },
    });
  });

  test('with keys from the environment, POST /flows needs one; /health stays open', async () => {
    const server = await start({ API_KEYS_INGEST: KEY });
    children.push(server.child);
    expect(server.lines.some((l) => String(l.msg).startsWith('authentication is off'))).toBe(false);
    const post = (headers: Record<string, string>) =>
      fetch(`${server.base}/flows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '[]',
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
    expect((await fetch(`${server.base}/docs/json`)).status).toBe(200);
  });

  test('a bad value stops start-up with a message', async () => {
    const child = spawn(process.execPath, [SERVER], {
      env: { PATH: process.env.PATH, REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '2000' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('HEADERS_TIMEOUT_MS must be <= REQUEST_TIMEOUT_MS');
  });
});
