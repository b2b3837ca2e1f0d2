import { defineConfig } from 'vitest/config';

// `npm run test:compose` only (test/compose/run.sh): the docker compose stack, which `npm test` never needs.
export default defineConfig({
  test: {
    include: ['test/compose/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
