import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBatches } from '../testkit/workload.js';
import { jsonPost } from './lib/load.js';
import { startService } from './lib/processes.js';
import { sideBySide } from './lib/side-by-side.js';

/**
 * Two builds of the service side by side (lib/side-by-side.ts): this checkout's dist/ against another
 * checkout's, single-record POSTs on 32 connections, with `--key` a new Idempotency-Key on each. For an
 * A/B of a change in one sitting, where builds compared one after the other move with the machine. The
 * other checkout needs its own build: `git worktree add /tmp/before HEAD~1 && cd /tmp/before && npm ci &&
 * npm run build`.
 *
 * `node --import tsx bench/compare-builds.ts <other checkout> [--key] [--rounds 8] [--seconds 5]`
 */
const usage =
  'usage: compare-builds.ts <another checkout with dist/server.js> [--key] [--rounds N] [--seconds N] (this checkout built too)';
const { values, positionals } = parseArgs({
  options: { key: { type: 'boolean', default: false }, rounds: { type: 'string' }, seconds: { type: 'string' } },
  allowPositionals: true,
});
const countOf = (flag: 'rounds' | 'seconds', fallback: number): number => {
  const value = values[flag] === undefined ? fallback : Number(values[flag]);
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`--${flag} takes a whole number above 0`);
  return value;
};
const other = positionals.length === 1 ? resolve(positionals[0]) : undefined;
if (!other || !existsSync(join(other, 'dist/server.js')) || !existsSync('dist/server.js')) throw new Error(usage);
const rounds = countOf('rounds', 8);
const seconds = countOf('seconds', 5);
const withKeys = values.key;
const mode = `single-record POSTs${withKeys ? ', a new Idempotency-Key each' : ''}`;

const requests = randomBatches(64, 1, 10_000, 1).map(jsonPost);
console.error(`this build ("service" below) against ${other} ("floor"): ${mode}`);
const result = await sideBySide({
  rounds,
  seconds,
  floor: () => startService({}, other),
  service: () => startService(),
  job: (round) => ({ connections: 32, requests, ...(withKeys ? { distinctKeys: `r${round}` } : {}) }),
});
const sorted = [...result.ratios].sort((a, b) => a - b);
const ratio = result.service / result.floor;
const which = rounds % 2 === 1 ? 'the median round' : 'the lower of the middle two rounds';
process.stdout.write(
  `this build / other build, ${mode}: ${ratio.toFixed(2)}x (${which}; rounds ${sorted[0].toFixed(2)}x to ${sorted[sorted.length - 1].toFixed(2)}x, servers on CPU 1 in ${result.pinnedRounds} of ${rounds})\n`,
);
