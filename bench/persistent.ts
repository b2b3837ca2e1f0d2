/**
 * Persistent-mode ingest against two floors, measured in one run on the same database:
 *   - the database's raw row-upsert rate: one single-row INSERT ... ON CONFLICT per statement
 *     (autocommit, so one commit each), from as many connections as the service's pool;
 *   - the same HTTP benchmark against the in-memory store.
 * Workload: POST /flows with 1000-record batches over 10k distinct flows, every 200 durable.
 * Target (issue 3): persistent records/s >= 5x the raw row-upsert rate.
 *
 * Uses DATABASE_URL when set, else a throwaway embedded PostgreSQL. Run: npm run bench:persistent
 */
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import pg from 'pg';
import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { FlowRecord } from '../src/schemas/flow.js';
import type { StoreBackend } from '../src/store/flow-store.js';
import { MemoryFlowStore } from '../src/store/memory/memory-store.js';
import { openPostgresBackend } from '../src/store/postgres/open-postgres.js';
import { createPool } from '../src/store/postgres/pool.js';
import { MinuteWindow } from '../src/window/minute-window.js';
import { ThrowawayPostgres } from '../testkit/embedded-pg.js';

const FLOWS = 10_000;
const BATCH = 1000;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const CONNECTIONS = 16;
const POOL_SIZE = 10;
const RAW_ROWS = Number(process.env.BENCH_RAW_ROWS ?? 20_000);
const log = pino({ level: 'silent' });

const flow = (i: number) => ({ src_app: `app-${i % 100}`, dest_app: `svc-${Math.floor(i / 100)}`, vpc_id: 'vpc-1' });

/** FLOWS / BATCH bodies, each 1000 distinct flows, together every flow once; requests cycle over them. */
function bodies(): string[] {
  const out: string[] = [];
  for (let b = 0; b < FLOWS / BATCH; b++) {
    const records: FlowRecord[] = [];
    for (let i = 0; i < BATCH; i++) records.push({ ...flow(b * BATCH + i), bytes_tx: 100, bytes_rx: 200, hour: 7 });
    out.push(JSON.stringify(records));
  }
  return out;
}

async function httpIngest(backend: Omit<StoreBackend, 'counter'>): Promise<number> {
  const config = { ...loadConfig({}), SHED_MAX_EVENT_LOOP_DELAY_MS: 0 };
  const app = buildApp({ config, backend, logger: log });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const payloads = bodies();
  let next = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/flows`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS,
    amount: REQUESTS,
    requests: [{ setupRequest: (req) => ({ ...req, body: payloads[next++ % payloads.length] }) }],
  });
  await app.close();
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
  return (result.requests.total * BATCH) / (result.duration || 1);
}

async function rawUpserts(url: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  await pool.query('CREATE TABLE IF NOT EXISTS raw_totals (LIKE flow_totals INCLUDING ALL)');
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < RAW_ROWS) {
      const f = flow(next++ % FLOWS);
      await pool.query(
        `INSERT INTO raw_totals AS t VALUES (7, $1, $2, $3, 100, 200)
         ON CONFLICT (hour, src_app, dest_app, vpc_id)
         DO UPDATE SET bytes_tx = t.bytes_tx + EXCLUDED.bytes_tx, bytes_rx = t.bytes_rx + EXCLUDED.bytes_rx`,
        [f.src_app, f.dest_app, f.vpc_id],
      );
    }
  };
  await Promise.all(Array.from({ length: POOL_SIZE }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  return RAW_ROWS / seconds;
}

async function main() {
  const embedded = process.env.DATABASE_URL ? undefined : await ThrowawayPostgres.start();
  const url = process.env.DATABASE_URL ?? (await embedded?.createDatabase('bench')) ?? '';
  try {
    const pool = createPool({ connectionString: url, max: POOL_SIZE, timeoutMs: 30_000, onIdleError: () => {} });
    const persistent = await openPostgresBackend({ pool, log, intervalMs: 60_000 });
    await pool.query('TRUNCATE flow_totals, flow_minute_keys, flow_minute_stats, flow_commits');

    const raw = await rawUpserts(url);
    const persistentRate = await httpIngest(persistent);
    const memoryRate = await httpIngest({ store: new MemoryFlowStore(new MinuteWindow()) });

    const check = new pg.Client({ connectionString: url });
    await check.connect();
    const { rows } = await check.query('SELECT count(*)::int AS flows, sum(bytes_tx)::text AS tx FROM flow_totals');
    await check.end();
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const lines = [
      `workload: POST /flows, ${BATCH}-record batches over ${FLOWS} distinct flows, ${REQUESTS} requests, ${CONNECTIONS} connections`,
      `raw row upserts (1 row/statement, ${POOL_SIZE} connections): ${fmt(raw)} rows/s`,
      `persistent mode (PostgreSQL, group commit):          ${fmt(persistentRate)} records/s`,
      `in-memory mode:                                      ${fmt(memoryRate)} records/s`,
      `persistent / raw upserts: ${(persistentRate / raw).toFixed(1)}x (target >= 5x)`,
      `persistent / memory:      ${(persistentRate / memoryRate).toFixed(2)}x`,
      `database after the run: ${rows[0].flows} flows, bytes_tx sum ${rows[0].tx} (expected ${REQUESTS * BATCH * 100})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (rows[0].tx !== String(REQUESTS * BATCH * 100))
      throw new Error('the database does not hold exactly what was acknowledged');
  } finally {
    await embedded?.destroy();
  }
}

await main();
