import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freshDatabase } from './support/pg-db.js';

// Runs the persistent benchmark at a tiny size so the script cannot rot; no timing is checked. Needs dist/.
describe('persistent benchmark (smoke)', () => {
  it('measures the floor and 1 and 2 instances, and checks the database against what was acknowledged', {
    timeout: 240_000,
  }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/persistent.ts'], {
      env: { PATH: process.env.PATH, DATABASE_URL: await freshDatabase(), BENCH_REQUESTS: '20', BENCH_ROUNDS: '1' },
      timeout: 230_000,
    });
    expect(stdout).toMatch(
      // CPU figures ("…, 12.3 CPU ms/1000") come after each rate when the database runs on this machine.
      /round 1: floor [\d,]+ rows\/s.*; 1 instance [\d,]+ records\/s .*2 instances [\d,]+ records\/s/,
    );
    expect(stdout).toMatch(/service, 1 instance: +median ratio [\d.]+x/);
    expect(stdout).toMatch(/service, 2 instances: median ratio [\d.]+x/);
    expect(stdout).toContain('database after every service run: exactly the acknowledged records (checked)');
  });
});
