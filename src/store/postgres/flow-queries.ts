import { ExponentialBackoff, handleWhen, type IPolicy, retry } from 'cockatiel';
import type pg from 'pg';
import type { Logger } from 'pino';
import { addExact, parseExact } from '../../queries/exact-integer.js';
import type { HourSummary, TopGroups, TopQuery, TopRow } from '../../queries/flow-queries.js';
import { isTransient, sqlState, unavailable } from './errors.js';
import { StoreGuard, warnUnlessRefused } from './guard.js';
import { HOURS_SQL, topStatement } from './query-statements.js';

interface SumsRow {
  bytes_tx: string;
  bytes_rx: string;
  flows: string;
}
type TopResultRow = SumsRow & { rank: number | null; groups: string | null } & Record<string, unknown>;

const STATEMENT_TIMEOUT = '57014';

/**
 * The range queries of the PostgreSQL store (`GET /hours`, `GET /flows/top`). Sums come back as text
 * and are parsed exactly: past 2^53-1 they become bigints, never rounded doubles.
 */
export class PgFlowQueries {
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  readonly #guard: StoreGuard;
  // A lost connection is worth another try; a query that ran into the statement timeout is not: it
  // would only load the database again for as long.
  readonly #retry: IPolicy = retry(
    handleWhen((err) => isTransient(err) && sqlState(err) !== STATEMENT_TIMEOUT),
    { maxAttempts: 3, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) },
  );

  /** `guard`: the store's circuit breaker (a breaker of its own when used alone). */
  constructor(pool: pg.Pool, log: Logger, guard = new StoreGuard(log)) {
    this.#pool = pool;
    this.#log = log;
    this.#guard = guard;
  }

  hourSummaries(from: number, to: number): Promise<HourSummary[]> {
    return this.#read('summing hours', async () => {
      const { rows } = await this.#pool.query<SumsRow & { hour: number }>(HOURS_SQL, [from, to]);
      return rows.map((r) => ({
        hour: r.hour,
        flows: Number(r.flows),
        bytes_tx: parseExact(r.bytes_tx),
        bytes_rx: parseExact(r.bytes_rx),
      }));
    });
  }

  topFlows(query: TopQuery): Promise<TopGroups> {
    return this.#read('ranking flows', async () => {
      const { rows } = await this.#pool.query<TopResultRow>(topStatement(query));
      // The statement's last row is the total over every group.
      const totalRow = rows[rows.length - 1];
      const top: TopRow[] = rows.slice(0, -1).map((r) => {
        const row: Record<string, unknown> = {};
        for (const d of query.by) row[d] = r[d];
        return { ...row, ...sums(r) };
      });
      return { rows: top, total: { groups: Number(totalRow.groups), ...sums(totalRow) } };
    });
  }

  async #read<T>(doing: string, run: () => Promise<T>): Promise<T> {
    try {
      // Through the store's circuit breaker: while the database is away, a 503 at once.
      return await this.#guard.once(() => this.#retry.execute(run));
    } catch (err) {
      warnUnlessRefused(this.#log, err, `database query failed while ${doing}`);
      throw unavailable(err, doing);
    }
  }
}

function sums(r: SumsRow) {
  const bytes_tx = parseExact(r.bytes_tx);
  const bytes_rx = parseExact(r.bytes_rx);
  return { bytes_tx, bytes_rx, bytes: addExact(bytes_tx, bytes_rx), flows: Number(r.flows) };
}
