import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { run as durability } from './durability.js';
import { run as fastifyPeer } from './fastify-peer.js';
import { run as getHour } from './get-hour.js';
import { run as ingestBatches } from './ingest-batches.js';
import { run as ingestGrowth } from './ingest-growth.js';
import { run as ingestSingle } from './ingest-single.js';
import { formatNumber, met, parseOptions, printRow, type Row, ratio, targetText } from './lib/report.js';
import { run as memory } from './memory.js';
import { run as top } from './top.js';

/**
 * `npm run bench`: every scenario, each against its floor in the same run, then bench/RESULTS.md.
 * `--smoke` runs each for about a second at tiny sizes (the test suite does, so they cannot rot) and
 * `--out FILE` writes the table elsewhere.
 */
const args = process.argv.slice(2);
const options = parseOptions(args);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args[outAt + 1] : 'bench/RESULTS.md';

const scenarios = [
  ['(a) ingest, 1000-record batches', ingestBatches],
  ['(b) ingest, single-record POSTs', ingestSingle],
  ['(c) GET an hour', getHour],
  ['(d) ingest as the hour grows', ingestGrowth],
  ['(e) memory per flow', memory],
  ['(g) top talkers of an hour', top],
  ['(h) against a plain Fastify app', fastifyPeer],
  ['(i) DATA_DIR: ingest, restart, disk', durability],
] as const;
// HOOK (f): persistent mode (the PostgreSQL store) is benchmarked by its own script, written with that
// store: `npm run bench:persistent`. It is not run from here.
const PERSISTENT_NOTE =
  '(f) persistent mode: not run here; run `npm run bench:persistent` (PostgreSQL store) and `npm run bench:top-persistent` (top talkers).';

const rows: Row[] = [];
const started = Date.now();
for (const [name, run] of scenarios) {
  process.stdout.write(`\n${name}\n`);
  for (const row of await run(options)) {
    printRow(row);
    rows.push(row);
  }
}
process.stdout.write(`\n${PERSISTENT_NOTE}\n`);
process.stdout.write(`\nall scenarios in ${Math.round((Date.now() - started) / 1000)} s; writing ${out}\n`);
// Whatever follows the marker in the old file (the hand-written analysis) is kept.
const MARKER = '<!-- analysis: kept across runs -->';
const old = existsSync(out) ? readFileSync(out, 'utf8') : '';
const analysis = old.includes(MARKER) ? old.slice(old.indexOf(MARKER)) : `${MARKER}\n`;
writeFileSync(out, `${results(rows)}\n${analysis}`);

function results(rows: Row[]): string {
  const cpu = cpus();
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench${options.smoke ? ' -- --smoke' : ''}\` on ${new Date().toISOString()}.`,
    '',
    `Machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ${process.platform}/${process.arch}. ` +
      'The service and each floor run as separate processes on the same machine as the load generator ' +
      '(autocannon), so the figures are only comparable within one run: read the ratios.',
    '',
    '| scenario | measure | service | floor | ratio service/floor | target | met |',
    '|---|---|---:|---:|---:|---|---|',
    ...rows.map((row) => {
      const verdict = met(row);
      return `| ${row.scenario} | ${row.measure} | ${formatNumber(row.service)} ${row.unit} | ${formatNumber(row.floor)} ${row.unit} | ${ratio(row).toFixed(2)}x | ${targetText(row)} | ${verdict === undefined ? '' : verdict ? 'yes' : '**no**'} |`;
    }),
    '',
    'Notes per row:',
    '',
    ...rows.map((row) => `- ${row.scenario} ${row.measure}: ${row.note ?? ''}`),
    '',
    PERSISTENT_NOTE,
    '',
  ];
  return lines.join('\n');
}
