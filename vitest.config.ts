import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One throwaway PostgreSQL for the run, unless DATABASE_URL names a server (see test/support).
    globalSetup: ['test/support/pg-global-setup.ts'],
  },
});
