/**
 * `npm run bench:persistent`: persistent-mode ingest against the set-based upsert floor, in one run on
 * one database (DATABASE_URL, or a throwaway embedded PostgreSQL):
 *   - floor: the same batches as `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE`, rows in key
 *     order, one durable commit per batch, from 4 connections (bench/persistent-floor.ts);
 *   - the service (`dist/server.js`, INMEMORY=false) as 1 and as 2 processes on that database, loaded
 *     over HTTP by autocannon with 1000-record batches.
 * Measured in turns, ROUNDS times; the result is the median of the rounds' ratios. After every service run
 * the database must hold exactly what was acknowledged. Target: service >= 0.8x the floor.
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { ThrowawayPostgres } from '../testkit/embedded-pg.js';
import { type Server, startService } from './lib/processes.js';
import { setBasedUpserts } from './persistent-floor.js';
import { expectedTx, type Workload, workload } from './persistent-workload.js';

const BODIES = 10;
const BATCH = 1000;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const HTTP_CONNECTIONS = 16;
const WARM_UP = 50;
const FLOOR_CONNECTIONS = 4;
const TARGET = 0.8;

async function truncate(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('TRUNCATE flow_totals, flow_count_shards, flow_commits');
  } finally {
    await client.end();
  }
}

/** Records a second acknowledged by `instances` service processes; throws unless the database holds exactly them. */
/** `amount` POSTs cycling over the workload's bodies, spread over the servers; fails on any error. */
async function load(servers: Server[], w: Workload, amount: number): Promise<autocannon.Result> {
  let next = 0;
  const result = await autocannon({
    // autocannon spreads the connections over several URLs; its types only know one.
    url: servers.map((s) => `${s.base}/flows`) as unknown as string,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: HTTP_CONNECTIONS,
    amount,
    timeout: 60,
    requests: [{ setupRequest: (req) => ({ ...req, body: w.json[next++ % w.json.length] }) }],
  });
  if (result.non2xx || result.errors || result.timeouts) {
    throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return result;
}

/** Records a second acknowledged by `instances` service processes; throws unless the database holds exactly them. */
async function service(url: string, w: Workload, instances: number): Promise<number> {
  const servers = await Promise.all(
    Array.from({ length: instances }, () =>
      startService({ INMEMORY: 'false', DATABASE_URL: url, SHED_MAX_EVENT_LOOP_DELAY_MS: '0' }),
    ),
  );
  try {
    // A warm-up (JIT, connections), then the measured run on empty tables.
    await load(servers, w, WARM_UP);
    await truncate(url);
    const result = await load(servers, w, REQUESTS);
    await checkDatabase(url, w, result['2xx']);
    return (result['2xx'] * BATCH) / result.duration;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

async function checkDatabase(url: string, w: Workload, acknowledged: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT count(*)::int AS flows, sum(bytes_tx)::text AS tx FROM flow_totals');
    const expected = expectedTx(w, acknowledged).toString();
    const flows = Math.min(acknowledged, BODIES) * BATCH;
    if (rows[0].tx !== expected || rows[0].flows !== flows) {
      throw new Error(
        `database holds ${rows[0].flows} flows, bytes_tx ${rows[0].tx}; acknowledged ${flows}, ${expected}`,
      );
    }
  } finally {
    await client.end();
  }
}

async function main() {
  const embedded = process.env.DATABASE_URL ? undefined : await ThrowawayPostgres.start();
  const url = process.env.DATABASE_URL ?? (await embedded?.createDatabase('bench')) ?? '';
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  try {
    const w = workload(BODIES, BATCH);
    // The first start applies the schema, so the floor's table can copy flow_totals.
    await (await startService({ INMEMORY: 'false', DATABASE_URL: url })).stop();
    const rounds: { floor: number; one: number; two: number }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const floor = await setBasedUpserts(url, w, REQUESTS, FLOOR_CONNECTIONS);
      const one = await service(url, w, 1);
      const two = await service(url, w, 2);
      rounds.push({ floor, one, two });
      process.stdout.write(
        `round ${round}: floor ${fmt(floor)} rows/s, 1 instance ${fmt(one)} records/s (${(one / floor).toFixed(2)}x), 2 instances ${fmt(two)} records/s (${(two / floor).toFixed(2)}x)\n`,
      );
    }
    // Each round's figures are measured minutes apart at most, so their ratio is what a shared machine
    // leaves comparable; the median of the rounds' ratios is the result.
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const verdict = (pick: (r: (typeof rounds)[number]) => number) => {
      const ratio = median(rounds.map((r) => pick(r) / r.floor));
      return `median ratio ${ratio.toFixed(2)}x (target >= ${TARGET}x: ${ratio >= TARGET ? 'met' : 'MISSED'})`;
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
