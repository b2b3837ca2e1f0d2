/**
 * Top talkers in persistent mode: `GET /flows/top` top-10 by src_app over one hour of 1M stored flows
 * (named like `npm run bench`'s (g): 1000 source apps), against the floor a user has today, GET
 * the hour (streamed from PostgreSQL) and sum it in the client; and the in-memory store's answer to the
 * same query, for scale. Timed request by request in one run; both answers are checked equal first.
 *
 * Uses DATABASE_URL when set, else a throwaway embedded PostgreSQL. Run: npm run bench:top-persistent
 * (`-- --smoke`: 10k flows, one second each, as the test suite runs it).
 */
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openPostgresBackend } from '../src/store/postgres/open-postgres.js';
import { createPool } from '../src/store/postgres/pool.js';
import { ThrowawayPostgres } from '../testkit/embedded-pg.js';
import { timeRequests } from './get-hour.js';
import { parseOptions } from './lib/report.js';
import { checkSameRows, topBySource, topBySourceInClient } from './lib/top-floor.js';

const HOUR = 30;
const { smoke, seconds } = parseOptions(process.argv.slice(2));
const FLOWS = smoke ? 10_000 : 1_000_000;
const log = pino({ level: 'silent' });

/** testkit/workload.ts's flows 0..FLOWS-1 in one hour, written straight into the table (the setup, not the measure). */
async function load(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('TRUNCATE flow_totals');
  await client.query(
    `INSERT INTO flow_totals
     SELECT $1, 'app-' || (i % 1000), 'svc-' || (i / 1000 % 1000), 'vpc-' || (i / 1000000), i % 1000000, i % 10000000
     FROM generate_series(0, $2::int - 1) i`,
    [HOUR, FLOWS],
  );
  await client.query('ANALYZE flow_totals');
  await client.end();
}

async function main() {
  const embedded = process.env.DATABASE_URL ? undefined : await ThrowawayPostgres.start();
  const url = process.env.DATABASE_URL ?? (await embedded?.createDatabase('bench_top')) ?? '';
  try {
    // A generous statement timeout (this measures the query, not the service's bound on it), not a huge
    // one: pg leaves each cursor read's timer running for that long, which keeps the process alive.
    const pool = createPool({ connectionString: url, max: 4, timeoutMs: 30_000, onIdleError: () => {} });
    const backend = await openPostgresBackend({ pool, log, intervalMs: 60_000 });
    await load(url);
    const app = buildApp({ config: { ...loadConfig({}), SHED_MAX_EVENT_LOOP_DELAY_MS: 0 }, backend, logger: log });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      checkSameRows(await topBySource(base, HOUR, 10), await topBySourceInClient(base, HOUR, 10));
      const top = await timeRequests(seconds, async () => {
        await topBySource(base, HOUR, 10);
      });
      const floor = await timeRequests(seconds, async () => {
        await topBySourceInClient(base, HOUR, 10);
      });
      const ms = (n: number) => `${n.toFixed(1)} ms`;
      const lines = [
        `workload: ${FLOWS.toLocaleString('en-US')} flows stored in one hour, 1000 source apps (PostgreSQL)`,
        `GET /flows/top top-10 by src_app:               p50 ${ms(top.p50)}, p99 ${ms(top.p99)}`,
        `floor, GET /flows?hour=N + sum in the client:   p50 ${ms(floor.p50)}, p99 ${ms(floor.p99)}`,
        `top / floor: ${(top.p50 / floor.p50).toFixed(3)}x`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      await app.close();
    }
  } finally {
    await embedded?.destroy();
  }
}

await main();
