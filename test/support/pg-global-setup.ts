import type { TestProject } from 'vitest/node';
import { ThrowawayPostgres } from '../../testkit/embedded-pg.js';

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
