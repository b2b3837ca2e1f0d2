import type pg from 'pg';
import type { FlowTotal } from '../../schemas/flow.js';

// Keyset pages in primary-key order, each its own statement. Not a cursor: in the extended protocol a
// cursor's fetches are one statement to the server until the portal closes, so statement_timeout would
// abort the transaction of any answer streamed for longer than PG_TIMEOUT_MS, and node-postgres would then
// report the rest of the hour as empty.
const COLUMNS = 'src_app, dest_app, vpc_id, hour, bytes_tx, bytes_rx';
const FIRST_PAGE_SQL = `
SELECT ${COLUMNS} FROM flow_totals WHERE hour = $1
ORDER BY src_app, dest_app, vpc_id LIMIT $2`;
const NEXT_PAGE_SQL = `
SELECT ${COLUMNS} FROM flow_totals WHERE hour = $1 AND (src_app, dest_app, vpc_id) > ($3, $4, $5)
ORDER BY src_app, dest_app, vpc_id LIMIT $2`;

/**
 * The flows of one hour, page by page, from one REPEATABLE READ snapshot: a reader sees each write
 * transaction (so each batch) entirely or not at all, however long it takes to read the pages.
 * The first page is read before returning, so a database failure surfaces before any byte is sent.
 */
export async function readHour(pool: pg.Pool, hour: number, pageSize: number): Promise<HourPages> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<FlowTotal>(FIRST_PAGE_SQL, [hour, pageSize]);
    return new HourPages(client, hour, rows, pageSize);
  } catch (err) {
    // The connection's state is unknown: closing it also makes the server roll back.
    client.release(err as Error);
    throw err;
  }
}

/**
 * The pages as an async iterator whose connection is released exactly once, however reading ends: the
 * last page, a failure, or `return()` from a consumer that stops early, at any point. An object rather
 * than an async generator, whose `finally` would not run if it is closed before its first `next()`.
 * A consumer that stalls holds the snapshot until the server's idle_in_transaction_session_timeout ends
 * it; the next page then fails, and so does the answer, rather than ending early as if complete.
 */
export class HourPages implements AsyncIterableIterator<FlowTotal[]> {
  readonly #client: pg.PoolClient;
  readonly #hour: number;
  readonly #pageSize: number;
  #page: FlowTotal[] | undefined;
  #last: FlowTotal | undefined;
  #reading: Promise<unknown> | undefined;
  #released: Promise<void> | undefined;

  constructor(client: pg.PoolClient, hour: number, first: FlowTotal[], pageSize: number) {
    this.#client = client;
    this.#hour = hour;
    this.#page = first;
    this.#pageSize = pageSize;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<FlowTotal[]>> {
    if (this.#released) return this.return();
    let page = this.#page;
    this.#page = undefined;
    if (!page) {
      // The previous page was short: there is no more.
      if (!this.#last) return this.return();
      const { src_app, dest_app, vpc_id } = this.#last;
      const reading = this.#client.query<FlowTotal>(NEXT_PAGE_SQL, [
        this.#hour,
        this.#pageSize,
        src_app,
        dest_app,
        vpc_id,
      ]);
      this.#reading = reading;
      try {
        page = (await reading).rows;
      } catch (err) {
        await this.#release(err as Error);
        throw err;
      } finally {
        this.#reading = undefined;
      }
      // Closed while this page was read: the consumer wants no more.
      if (this.#released) return this.return();
    }
    if (page.length === 0) return this.return();
    this.#last = page.length === this.#pageSize ? page[page.length - 1] : undefined;
    return { done: false, value: page };
  }

  async return(): Promise<IteratorResult<FlowTotal[]>> {
    await this.#release();
    return { done: true, value: undefined };
  }

  #release(failure?: Error): Promise<void> {
    this.#released ??= this.#finish(failure);
    return this.#released;
  }

  /** Rolls the snapshot back; a connection in an unknown state is closed instead. */
  async #finish(failure?: Error): Promise<void> {
    let broken = failure;
    if (!broken) {
      try {
        // A page still being read is waited for (statement_timeout bounds it): the protocol cannot drop it.
        await this.#reading?.catch(() => {});
        await this.#client.query('ROLLBACK');
      } catch (err) {
        broken = err as Error;
      }
    }
    this.#client.release(broken);
  }
}
