import { defineConfig } from 'vitest/config';

// A run of one failing test with the suite's own global setup (see runner-exit-code.test.ts).
export default defineConfig({
  test: {
    include: ['test/ci/failing-run/*.fixture.ts'],
    globalSetup: ['test/support/pg-global-setup.ts'],
  },
});
