import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Summarizes `node --cpu-prof` output: the functions with the most self time, as shares of the
 * profile. `node --import tsx bench/profile-summary.ts DIR [TOP]`.
 */
interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

const [dir, top = '20'] = process.argv.slice(2);
for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const timeOf = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    timeOf.set(id, (timeOf.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const time = timeOf.get(node.id) ?? 0;
    total += time;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? ` ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
  }
  if (total === 0) continue;
  process.stdout.write(`${file}: ${Math.round(total / 1000)} ms sampled\n`);
  for (const [name, time] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
    process.stdout.write(`${((100 * time) / total).toFixed(1).padStart(5)}%  ${name}\n`);
  }
}
