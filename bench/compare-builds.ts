import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
const args = process.argv.slice(2);
const countOf = (flag: string, fallback: number): number => {
  const at = args.indexOf(flag);
  const value = at < 0 ? fallback : Number(args[at + 1]);
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`${flag} takes a whole number above 0`);
  return value;
};
const other = args[0] === undefined || args[0].startsWith('--') ? undefined : resolve(args[0]);
if (!other || !existsSync(join(other, 'dist/server.js'))) {
  throw new Error('usage: compare-builds.ts <another checkout with dist/server.js> [--key] [--rounds N] [--seconds N]');
}
const rounds = countOf('--rounds', 8);
const seconds = countOf('--seconds', 5);
const withKeys = args.includes('--key');

const requests = randomBatches(64, 1, 10_000, 1).map(jsonPost);
console.error(`this build against ${other}: single-record POSTs${withKeys ? ', a new Idempotency-Key each' : ''}`);
const result = await sideBySide({
  rounds,
  seconds,
  floor: () => startService({}, other),
  service: () => startService(),
  job: (round) => ({ connections: 32, requests, ...(withKeys ? { distinctKeys: `r${round}` } : {}) }),
});
const sorted = [...result.ratios].sort((a, b) => a - b);
const ratio = result.service / result.floor;
process.stdout.write(
  `this build / other build: ${ratio.toFixed(2)}x (the lower of the middle two rounds; rounds ${sorted[0].toFixed(2)}x to ${sorted[sorted.length - 1].toFixed(2)}x, servers on CPU 1 in ${result.pinnedRounds} of ${rounds})\n`,
);
