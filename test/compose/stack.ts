import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

/** The stack that test/compose/harness.sh prepared: its private dockerd and its copy of the work tree. */
const harnessDir = process.env.COMPOSE_HARNESS_DIR ?? '/var/tmp/compose-harness';
export const stackDir = join(harnessDir, 'stack');
const override = new URL('./compose.harness.yml', import.meta.url).pathname;
const run = promisify(execFile);

/** Debian's docker client against the private daemon; stdout, or an error that carries stderr. */
export async function docker(args: string[], env: Record<string, string> = {}): Promise<string> {
  return (await dockerOutput(args, env)).stdout;
}

/** What a container wrote to stdout and stderr (a Node warning goes to stderr). */
export async function containerOutput(container: string): Promise<string> {
  const { stdout, stderr } = await dockerOutput(['logs', container]);
  return `${stdout}${stderr}`;
}

async function dockerOutput(args: string[], env: Record<string, string> = {}) {
  try {
    return await run('/usr/bin/docker', args, {
      cwd: stackDir,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        DOCKER_HOST: `unix://${harnessDir}/docker.sock`,
        DOCKER_CONFIG: join(harnessDir, 'docker-config'),
        ...env,
      },
    });
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    throw new Error(`docker ${args.join(' ')} failed: ${stderr ?? err}`);
  }
}

/** `docker compose` on the project's own file; `env` is what a user would export (ports, INMEMORY). */
export function compose(args: string[], env: Record<string, string>): Promise<string> {
  return docker(['compose', '-f', 'docker-compose.yml', '-f', override, ...args], env);
}

export async function containerIds(service: string, env: Record<string, string>): Promise<string[]> {
  return (await compose(['ps', '-q', service], env)).split('\n').filter(Boolean);
}

export async function ipAddress(container: string): Promise<string> {
  return (
    await docker(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', container])
  ).trim();
}

/**
 * Starts a container on `neighbour`'s network that may take an address a stopped container freed, so that
 * container comes back with another one. Returns its id; remove it with `docker rm -f`.
 */
export async function occupyFreedAddress(neighbour: string): Promise<string> {
  const networks = '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}';
  const network = (await docker(['inspect', '-f', networks, neighbour])).trim();
  const label = 'flowanalysis.compose-test'; // harness.sh down removes what carries it, should a test not
  return (
    await docker(['run', '-d', '--label', label, '--network', network, 'debian:bookworm-slim', 'sleep', '600'])
  ).trim();
}

export async function waitHealthy(container: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status = '';
  while (Date.now() < deadline) {
    status = (await docker(['inspect', '-f', '{{.State.Health.Status}}', container])).trim();
    if (status === 'healthy') return;
    await sleep(1_000);
  }
  throw new Error(`container ${container} is ${status}, not healthy, after ${timeoutMs} ms`);
}

/** Polls `check` until it returns a value; the last error is the message if time runs out. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

export interface PublishedCount {
  key: string;
  value: { minute: string; records: number; bytes_tx: number; bytes_rx: number; instance: string };
}

/**
 * What the stand-in broker appended to its log for `topic`, in the bind-mounted data folder (the stand-in
 * implements no Fetch, so no consumer can read it back; see the README).
 */
export async function brokerLog(topic: string): Promise<PublishedCount[]> {
  const text = await readFile(join(stackDir, 'volumes/kafka/kafka_data', `${topic}.log`), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const { key, value } = JSON.parse(line) as { key: string; value: string };
      return { key, value: JSON.parse(value) };
    });
}
