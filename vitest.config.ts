import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The compose stack has its own run (npm run test:compose): it needs a container engine.
    exclude: [...configDefaults.exclude, 'test/compose/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One throwaway PostgreSQL for the run, unless DATABASE_URL names a server (see test/support).
    globalSetup: ['test/support/pg-global-setup.ts'],
  },
});
