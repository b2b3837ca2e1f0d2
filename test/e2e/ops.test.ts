import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ServerProcess } from '../support/server-process.js';

const SERVER = join(import.meta.dirname, '..', '..', 'dist', 'server.js');
const KEY = 'e2e-ingest-key-0123456789abcdef';

describe('the built server', () => {
  const servers: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  test('without keys it warns that authentication is off, and serves the probes', async () => {
    const server = await ServerProcess.start({});
    servers.push(server);
    expect(server.logs.some((l) => l.level === 40 && String(l.msg).startsWith('authentication is off'))).toBe(true);
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
    expect(await (await fetch(`${server.base}/ready`)).json()).toEqual({
      status: 'ready',
      store: 'up',
      sink: { kind: 'file' },
      capacity: expect.objectContaining({ state: 'ok', flows: 0 }),
    });
  });

  test('with keys from the environment, POST /flows needs one; /health stays open', async () => {
    const server = await ServerProcess.start({ API_KEYS_INGEST: KEY });
    servers.push(server);
    expect(server.logs.some((l) => String(l.msg).startsWith('authentication is off'))).toBe(false);
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
