import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freshDatabase } from './support/pg-db.js';

// Runs every benchmark for about a second at tiny sizes so the scripts cannot rot. No timing is
// checked: on a shared machine that would only make the suite flaky. Needs dist/ (npm test builds it).
describe('benchmarks (smoke)', () => {
  it('npm run bench -- --smoke runs every scenario and writes the table', { timeout: 480_000 }, async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'bench-smoke-')), 'RESULTS.md');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out],
      { timeout: 470_000, maxBuffer: 10 * 1024 * 1024 },
    );
    for (const scenario of ['(a)', '(b)', '(c)', '(d)', '(e)', '(g)', '(h)', '(i)'])
      expect(stdout).toContain(`${scenario} `);
    const table = await readFile(out, 'utf8');
    expect(table).toMatch(/\| \(a\) \| 1000-record batches/);
    expect(table).toMatch(/\| \(e\) \| bytes per flow/);
    expect(table).toMatch(/\| \(g\) \| top-10 by src_app/);
    expect(table).toMatch(/\| \(h\) \| single-record POSTs, auth on/);
    expect(table).toMatch(/\| \(i\) \| restart with 10k flows, from the snapshot/);
    expect(table).toContain('npm run bench:persistent');
  });

  it('compare-builds.ts runs a build side by side with another checkout (here: this one)', {
    timeout: 120_000,
  }, async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/compare-builds.ts', '.', '--key', '--rounds', '1', '--seconds', '1'],
      { timeout: 110_000 },
    );
    expect(stdout).toMatch(
      /this build \/ other build: [\d.]+x \(the lower of the middle two rounds; rounds [\d.]+x to [\d.]+x/,
    );
  });

  it('compare-builds.ts refuses a checkout without a build', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/compare-builds.ts', tmpdir()]);
    await expect(run).rejects.toThrow(/usage: compare-builds.ts <another checkout with dist\/server.js>/);
  });

  it('npm run bench:top-persistent -- --smoke answers the same top talkers as the floor', {
    timeout: 120_000,
  }, async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/top-persistent.ts', '--smoke'],
      { timeout: 110_000, env: { ...process.env, DATABASE_URL: await freshDatabase() } },
    );
    expect(stdout).toMatch(/GET \/flows\/top top-10 by src_app: +p50 [\d.]+ ms/);
    expect(stdout).toMatch(/top \/ floor: [\d.]+x/);
  });
});
