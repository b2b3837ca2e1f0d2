import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TopQuery } from '../../../src/queries/flow-queries.js';
import { PgFlowQueries } from '../../../src/store/postgres/flow-queries.js';
import { createPool } from '../../../src/store/postgres/pool.js';
import { PostgresFlowStore } from '../../../src/store/postgres/postgres-store.js';
import { HOURS_SQL, topStatement } from '../../../src/store/postgres/query-statements.js';
import { freePort } from '../../../testkit/free-port.js';
import { silentLogger } from '../../support/helper.js';
import { freshDatabase } from '../../support/pg-db.js';

const HOURS = 300;
const FLOWS_PER_HOUR = 1000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];

const query = (overrides: Partial<TopQuery> = {}): TopQuery => ({
  from_hour: 150,
  to_hour: 150,
  by: ['src_app'],
  metric: 'bytes',
  limit: 10,
  filters: {},
  ...overrides,
});

describe('PostgreSQL range queries: plans and failures', () => {
  let url: string;
  let client: pg.Client;
  beforeAll(async () => {
    url = await freshDatabase();
    const pool = createPool({ connectionString: url, max: 2, timeoutMs: 10_000, onIdleError: () => {} });
    await (await PostgresFlowStore.open({ pool, log: silentLogger })).close();
    client = new pg.Client({ connectionString: url });
    await client.connect();
    // Big enough that reading the whole table would cost the planner far more than one hour's index range.
    await client.query(
      `INSERT INTO flow_totals
       SELECT h, 'app-' || (f % 100), 'svc-' || (f / 100), 'vpc-' || (f % 3), f, 2 * f
       FROM generate_series(0, $1::int - 1) h, generate_series(0, $2::int - 1) f`,
      [HOURS, FLOWS_PER_HOUR],
    );
    await client.query('ANALYZE flow_totals');
  });
  afterAll(async () => {
    await client?.end();
  });

  async function plan(text: string, values: unknown[]): Promise<PlanNode[]> {
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
    return nodes(rows[0]['QUERY PLAN'][0].Plan);
  }

  it.each([
    ['top by src_app, one hour', topStatement(query())],
    [
      'top by dest_app and hour, a day, filtered',
      topStatement(
        query({ by: ['dest_app', 'hour'], to_hour: 173, filters: { src_app: ['app-1', 'app-2'], vpc_id: ['vpc-1'] } }),
      ),
    ],
    ['hours, a day', { text: HOURS_SQL, values: [100, 123] }],
  ])('%s: reads the hour range through the primary key, never the whole table', async (_name, { text, values }) => {
    const scans = (await plan(text, values)).filter((n) => n['Node Type'].includes('Scan'));
    expect(scans.filter((n) => n['Relation Name'] === 'flow_totals' && n['Node Type'] === 'Seq Scan')).toEqual([]);
    expect(scans.some((n) => n['Index Name'] === 'flow_totals_pkey')).toBe(true);
  });

  it('the table is big enough for the check to mean something: over every hour the planner reads it whole', async () => {
    const all = topStatement(query({ from_hour: 0, to_hour: HOURS - 1 }));
    const scans = await plan(all.text, all.values);
    expect(scans.some((n) => n['Relation Name'] === 'flow_totals' && n['Node Type'] === 'Seq Scan')).toBe(true);
  });

  it('is not retried past the statement timeout, and answers 503', async () => {
    const slow = new pg.Pool({ connectionString: url, max: 1, statement_timeout: 200, lock_timeout: 60_000 });
    const queries = new PgFlowQueries(slow, silentLogger);
    const sent = vi.spyOn(slow, 'query');
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE flow_totals IN ACCESS EXCLUSIVE MODE');
    try {
      await expect(queries.topFlows(query())).rejects.toMatchObject({
        code: 'FLOWS_ERR_STORE_UNAVAILABLE',
        statusCode: 503,
        message: expect.stringContaining('overloaded while ranking flows'),
      });
      expect(sent).toHaveBeenCalledTimes(1);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
      await slow.end();
    }
  });

  it('retries a database it cannot reach, then answers 503 with nothing of the database in the message', async () => {
    const gone = createPool({
      connectionString: `postgres://postgres:password@127.0.0.1:${await freePort()}/none`,
      max: 1,
      timeoutMs: 1000,
      onIdleError: () => {},
    });
    const sent = vi.spyOn(gone, 'query');
    const queries = new PgFlowQueries(gone, silentLogger);
    const failure = await queries.hourSummaries(0, 1).catch((err: Error) => err);
    expect(failure).toMatchObject({ code: 'FLOWS_ERR_STORE_UNAVAILABLE', headers: { 'retry-after': '2' } });
    expect((failure as Error).message).not.toContain('127.0.0.1');
    // The first attempt and three retries.
    expect(sent).toHaveBeenCalledTimes(4);
    await gone.end();
  });
});
