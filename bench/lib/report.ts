import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** One measured line: the service's figure, the floor's figure from the same run, and their ratio. */
export interface Row {
  scenario: string;
  measure: string;
  unit: string;
  service: number;
  floor: number;
  /**
   * What the ratio service/floor must be, e.g. ">= 1.0" or "<= 1.2"; or, with `targetOnService`, what
   * the service's own figure must be. Empty when the row is for information.
   */
  target: string;
  targetOnService?: boolean;
  note?: string;
}

export interface BenchOptions {
  /** Seconds per measured load run. */
  seconds: number;
  /** Tiny sizes and one-second runs: proves the script works, measures nothing. */
  smoke: boolean;
}

export const ratio = (row: Row): number => row.service / row.floor;

export function met(row: Row): boolean | undefined {
  const match = /^(>=|<=) ([\d.]+)$/.exec(row.target);
  if (!match) return undefined;
  const r = row.targetOnService ? row.service : ratio(row);
  return match[1] === '>=' ? r >= Number(match[2]) : r <= Number(match[2]);
}

export const targetText = (row: Row): string =>
  !row.target ? '' : row.targetOnService ? `${row.target} ${row.unit}` : `ratio ${row.target}`;

export function formatNumber(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 2);
}

export function printRow(row: Row): void {
  const verdict = met(row);
  const target = row.target ? ` (target ${targetText(row)}: ${verdict ? 'met' : 'MISSED'})` : '';
  process.stdout.write(
    `${row.scenario} ${row.measure}: service ${formatNumber(row.service)} ${row.unit}, floor ${formatNumber(row.floor)} ${row.unit}, ratio ${ratio(row).toFixed(2)}x${target}${row.note ? ` [${row.note}]` : ''}\n`,
  );
}

/** Runs a scenario from the command line: `tsx bench/x.ts [--smoke] [--seconds N]`. */
export async function runMain(run: (options: BenchOptions) => Promise<Row[]>): Promise<void> {
  const rows = await run(parseOptions(process.argv.slice(2)));
  for (const row of rows) printRow(row);
}

export function parseOptions(args: string[]): BenchOptions {
  const smoke = args.includes('--smoke');
  const at = args.indexOf('--seconds');
  return { smoke, seconds: at >= 0 ? Number(args[at + 1]) : smoke ? 1 : 5 };
}

/** True when the module at `url` is the script node was started with (not imported by the runner). */
export const isMain = (url: string): boolean =>
  process.argv[1] !== undefined && url === pathToFileURL(resolve(process.argv[1])).href;

/** Server CPU per request in the measured run. */
export function cpuNote(
  { serviceCpuUs, floorCpuUs }: { serviceCpuUs: number | undefined; floorCpuUs: number | undefined },
  recordsPerRequest: number,
): string {
  if (serviceCpuUs === undefined || floorCpuUs === undefined) return '';
  const per = recordsPerRequest === 1 ? 'request' : `${recordsPerRequest}-record request`;
  return `server CPU per ${per}: service ${serviceCpuUs.toFixed(0)} µs, floor ${floorCpuUs.toFixed(0)} µs`;
}
