import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../../testkit/free-port.js';

const SERVER = new URL('../../dist/server.js', import.meta.url).pathname;

/** The built server (`dist/server.js`, built by `npm test`) running as a real process on a free port. */
export class ServerProcess {
  readonly port: number;
  readonly base: string;
  readonly countsFile: string;
  readonly logs: Record<string, unknown>[] = [];
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #alive = true;
  #output = '';

  private constructor(child: ChildProcess, port: number, countsFile: string) {
    this.#child = child;
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.countsFile = countsFile;
    this.#exited = once(child, 'exit').then(([code]) => {
      this.#alive = false;
      return code as number | null;
    });
  }

  /** True while running; throws once the process has exited (a crash must fail the test, not stall it). */
  assertAlive(): true {
    if (!this.#alive) throw new Error('the server process exited unexpectedly');
    return true;
  }

  /** Only PATH is inherited, so nothing from the test runner's environment leaks into the server. */
  static async start(env: Record<string, string> = {}, countsFile?: string): Promise<ServerProcess> {
    const port = await freePort();
    const counts =
      countsFile ?? env.COUNTS_FILE ?? join(await mkdtemp(join(tmpdir(), 'flows-counts-')), 'counts.jsonl');
    const child = spawn(process.execPath, [SERVER], {
      env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), COUNTS_FILE: counts, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Never outlives the test worker, even when a test times out before it could stop it.
    const reap = () => child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.removeListener('exit', reap));
    const server = new ServerProcess(child, port, counts);
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
      server.#output += chunk;
    });
    child.stdout?.on('data', (chunk) => {
      server.#output += chunk;
    });
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          server.logs.push(entry);
          if (entry.msg === 'flow aggregation ready') resolve();
        } catch {
          // Not a log line; ignored.
        }
      });
      server.#exited.then((code) => reject(new Error(`server exited with ${code} before ready: ${stderr}`)));
    });
    await ready;
    return server;
  }

  post(body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    return fetch(`${this.base}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal,
    });
  }

  async hour(hour: number): Promise<{ src_app: string; bytes_tx: number; bytes_rx: number }[]> {
    const res = await fetch(`${this.base}/flows?hour=${hour}`);
    if (res.status !== 200) throw new Error(`GET answered ${res.status}: ${await res.text()}`);
    return res.json();
  }

  /** Everything the process wrote to stdout and stderr so far. */
  output(): string {
    return this.#output;
  }

  /** SIGTERM (or SIGINT): the graceful shutdown path; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.#alive) this.#child.kill(signal);
    return this.#exited;
  }

  /** SIGKILL: no shutdown code runs at all. */
  async kill(): Promise<void> {
    this.#child.kill('SIGKILL');
    await this.#exited;
  }
}
