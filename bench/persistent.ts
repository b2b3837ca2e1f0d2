/**
 * `npm run bench:persistent`: persistent-mode ingest against the set-based upsert floor, in one run on
 * one database (DATABASE_URL, or a throwaway embedded PostgreSQL):
 *   - floor: the same batches as `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE`, rows in key
 *     order, one durable commit per batch, from 4 connections (bench/persistent-floor.ts);
 *   - the service (`dist/server.js`, INMEMORY=false) as 1 and as 2 processes on that database, loaded
 *     over HTTP by autocannon with 1000-record batches.
 * Measured in turns, ROUNDS times; the result is the median of the rounds' ratios. After every service run
 * the database must hold exactly what was acknowledged. Target: service >= 0.8x the floor.
 * When the database runs on this machine, each side's CPU time per 1000 records is counted too (the
 * database server, the service processes, and this process: the floor's client or the load generator),
 * which a machine shared with other work disturbs far less than records/s.
 */
import autocannon from 'autocannon';
import { ThrowawayPostgres } from '../testkit/embedded-pg.js';
import { cpuMs, treeCpuMs } from './lib/cpu.js';
import { type Server, startService } from './lib/processes.js';
import { checkDatabase, serverPid, truncate } from './persistent-db.js';
import { setBasedUpserts } from './persistent-floor.js';
import { type Workload, workload } from './persistent-workload.js';

const BODIES = 10;
const BATCH = 1000;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const HTTP_CONNECTIONS = 16;
const WARM_UP = 50;
const FLOOR_CONNECTIONS = 4;
const TARGET = 0.8;

interface Measure {
  /** Records (= rows) a second. */
  rate: number;
  /** CPU ms per 1000 records, all processes of the side together; undefined when the database is remote. */
  cpu?: number;
}

/** CPU ms used so far by the database server, the given processes and this one; undefined if not countable. */
function cpuNow(dbPid: number | undefined, pids: number[]): number | undefined {
  const db = dbPid === undefined ? undefined : treeCpuMs(dbPid);
  const others = pids.map(cpuMs);
  if (db === undefined || others.some((ms) => ms === undefined)) return undefined;
  const own = process.cpuUsage();
  return db + (others as number[]).reduce((a, b) => a + b, 0) + (own.user + own.system) / 1000;
}

/**
 * `amount` POSTs cycling over the workload's bodies, spread over the servers; fails on any error.
 * Resolves with the 2xx count and the seconds from the start to the last response: autocannon notices
 * that all are done only at its next one-second tick, which would count up to a second of nothing.
 */
async function load(servers: Server[], w: Workload, amount: number): Promise<{ ok: number; seconds: number }> {
  let next = 0;
  let last = 0;
  const started = performance.now();
  const result = await autocannon({
    // autocannon spreads the connections over several URLs; its types only know one.
    url: servers.map((s) => `${s.base}/flows`) as unknown as string,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: HTTP_CONNECTIONS,
    amount,
    timeout: 60,
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: w.json[next++ % w.json.length] }),
        onResponse: () => {
          last = performance.now();
        },
      },
    ],
  });
  if (result.non2xx || result.errors || result.timeouts) {
    throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return { ok: result['2xx'], seconds: (last - started) / 1000 };
}

/** `instances` service processes on the database; throws unless the database holds exactly what they acknowledged. */
async function service(url: string, dbPid: number | undefined, w: Workload, instances: number): Promise<Measure> {
  const servers = await Promise.all(
    Array.from({ length: instances }, () =>
      startService({ INMEMORY: 'false', DATABASE_URL: url, SHED_MAX_EVENT_LOOP_DELAY_MS: '0' }),
    ),
  );
  try {
    // A warm-up (JIT, connections), then the measured run on empty tables.
    await load(servers, w, WARM_UP);
    await truncate(url);
    const before = cpuNow(
      dbPid,
      servers.map((s) => s.pid),
    );
    const { ok, seconds } = await load(servers, w, REQUESTS);
    const after = cpuNow(
      dbPid,
      servers.map((s) => s.pid),
    );
    await checkDatabase(url, w, ok);
    const records = ok * BATCH;
    const cpu = before === undefined || after === undefined ? undefined : ((after - before) * 1000) / records;
    return { rate: records / seconds, cpu };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

async function floor(url: string, dbPid: number | undefined, w: Workload): Promise<Measure> {
  const before = cpuNow(dbPid, []);
  const rate = await setBasedUpserts(url, w, REQUESTS, FLOOR_CONNECTIONS);
  const after = cpuNow(dbPid, []);
  const cpu = before === undefined || after === undefined ? undefined : ((after - before) * 1000) / (REQUESTS * BATCH);
  return { rate, cpu };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const cpuText = (m: Measure) => (m.cpu === undefined ? '' : `, ${m.cpu.toFixed(1)} CPU ms/1000`);

async function main() {
  const embedded = process.env.DATABASE_URL ? undefined : await ThrowawayPostgres.start();
  const url = process.env.DATABASE_URL ?? (await embedded?.createDatabase('bench')) ?? '';
  try {
    const w = workload(BODIES, BATCH);
    // The first start applies the schema, so the floor's table can copy flow_totals.
    await (await startService({ INMEMORY: 'false', DATABASE_URL: url })).stop();
    const dbPid = await serverPid(url);
    const rounds: { floor: Measure; one: Measure; two: Measure }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const r = {
        floor: await floor(url, dbPid, w),
        one: await service(url, dbPid, w, 1),
        two: await service(url, dbPid, w, 2),
      };
      rounds.push(r);
      const side = (m: Measure) => `${fmt(m.rate)} records/s (${(m.rate / r.floor.rate).toFixed(2)}x${cpuText(m)})`;
      process.stdout.write(
        `round ${round}: floor ${fmt(r.floor.rate)} rows/s${cpuText(r.floor)}; 1 instance ${side(r.one)}; 2 instances ${side(r.two)}\n`,
      );
    }
    // Each round's figures are measured minutes apart at most, so their ratio is what a shared machine
    // leaves comparable; the median of the rounds' ratios is the result.
    const verdict = (pick: (r: (typeof rounds)[number]) => Measure) => {
      const ratio = median(rounds.map((r) => pick(r).rate / r.floor.rate));
      const cpu = rounds.every((r) => pick(r).cpu !== undefined && r.floor.cpu !== undefined)
        ? `; CPU per record, floor / service: ${median(rounds.map((r) => (r.floor.cpu as number) / (pick(r).cpu as number))).toFixed(2)}x`
        : '';
      return `median ratio ${ratio.toFixed(2)}x (target >= ${TARGET}x: ${ratio >= TARGET ? 'met' : 'MISSED'})${cpu}`;
    };
    const lines = [
      `workload: ${REQUESTS} POST /flows of ${BATCH} records over ${BODIES * BATCH} distinct flows, ${HTTP_CONNECTIONS} HTTP connections; ${ROUNDS} rounds`,
      `floor: set-based upsert of the same batches, rows in key order, a durable commit per batch, ${FLOOR_CONNECTIONS} connections`,
      `service, 1 instance:  ${verdict((r) => r.one)}`,
      `service, 2 instances: ${verdict((r) => r.two)}`,
      'database after every service run: exactly the acknowledged records (checked)',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await embedded?.destroy();
  }
}

await main();
