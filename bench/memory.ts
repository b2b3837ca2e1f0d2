import { execFileSync } from 'node:child_process';
import { MemoryFlowStore } from '../src/store/memory/memory-store.js';
import { MinuteWindow } from '../src/window/minute-window.js';
import { loadingBatches } from '../testkit/workload.js';
import type { BenchOptions, Row } from './lib/report.js';
import { isMain, runMain } from './lib/report.js';

/**
 * (e) Memory per flow after loading N distinct flows into one hour: the in-memory store (through its
 * JSON fast path, window included) against the naive Map of objects keyed by concatenated strings.
 * Each measurement runs in its own `node --expose-gc` process; the figure is the growth of the JS heap
 * plus ArrayBuffers (where typed arrays live), after a forced GC, divided by N.
 */
export async function run({ smoke }: BenchOptions): Promise<Row[]> {
  const sizes = smoke ? [10_000] : [1_000_000, 5_000_000];
  return sizes.map((flows) => {
    const label = flows >= 1e6 ? `${flows / 1e6}M` : `${flows / 1e3}k`;
    return {
      scenario: '(e)',
      measure: `bytes per flow, ${label} flows in one hour`,
      unit: 'bytes/flow',
      service: measureInChild('store', flows),
      floor: measureInChild('map', flows),
      target: flows === 1_000_000 ? '<= 80' : '',
      targetOnService: true,
      note: 'floor: Map<hour, Map<string, {tx, rx}>>',
    };
  });
}

function measureInChild(kind: 'store' | 'map', flows: number): number {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', 'bench/memory.ts', '--child', kind, String(flows)],
    { encoding: 'utf8' },
  );
  return Number(out.trim());
}

function used(): number {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function child(kind: string, flows: number): number {
  if (!(globalThis as { gc?: unknown }).gc) throw new Error('run with --expose-gc');
  const before = used();
  let keep: unknown;
  if (kind === 'store') {
    const store = new MemoryFlowStore(new MinuteWindow());
    for (const body of loadingBatches(flows, 10_000, 1)) {
      if (store.ingestJson(Buffer.from(body), 10_000) === undefined) throw new Error('fast path declined');
    }
    keep = store;
  } else {
    const hours = new Map<number, Map<string, { tx: number; rx: number }>>();
    for (const body of loadingBatches(flows, 10_000, 1)) {
      for (const r of JSON.parse(body)) {
        let map = hours.get(r.hour);
        if (!map) {
          map = new Map();
          hours.set(r.hour, map);
        }
        const key = `${r.src_app}|${r.dest_app}|${r.vpc_id}`;
        const t = map.get(key);
        if (t) {
          t.tx += r.bytes_tx;
          t.rx += r.bytes_rx;
        } else map.set(key, { tx: r.bytes_tx, rx: r.bytes_rx });
      }
    }
    keep = hours;
  }
  const bytes = (used() - before) / flows;
  if (!keep) throw new Error('unreachable: keeps the structure alive until measured');
  return bytes;
}

const args = process.argv.slice(2);
if (args[0] === '--child') process.stdout.write(`${child(args[1], Number(args[2]))}\n`);
else if (isMain(import.meta.url)) await runMain(run);
