import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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

  it('compare-builds.ts runs this build side by side with another checkout', { timeout: 120_000 }, async () => {
    // The other checkout: a server.js that marks that it ran, then runs this build.
    const other = await mkdtemp(join(tmpdir(), 'other-checkout-'));
    await mkdir(join(other, 'dist'));
    const marker = join(other, 'started');
    await writeFile(
      join(other, 'dist/server.js'),
      `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '');\nimport(${JSON.stringify(pathToFileURL(resolve('dist/server.js')).href)});\n`,
    );
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/compare-builds.ts', other, '--key', '--rounds', '1', '--seconds', '1'],
      { timeout: 110_000 },
    );
    expect(stderr).toContain(`against ${other} ("floor")`);
    await expect(stat(marker)).resolves.toBeDefined();
    expect(stdout).toMatch(
      /this build \/ other build, single-record POSTs, a new Idempotency-Key each: [\d.]+x \(the median round; rounds [\d.]+x to [\d.]+x/,
    );
  });

  it('compare-builds.ts refuses a checkout without a build, and an option it does not know', async () => {
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/compare-builds.ts', ...args]);
    const empty = await mkdtemp(join(tmpdir(), 'no-build-'));
    await expect(run(empty)).rejects.toThrow(/usage: compare-builds.ts <another checkout with dist\/server.js>/);
    await expect(run('.', '--keys')).rejects.toThrow(/Unknown option '--keys'/);
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
