import pg from 'pg';
import { MAX_TOTAL } from '../../schemas/flow.js';

export interface PgPoolOptions {
  connectionString: string;
  max: number;
  /** Bounds connecting, each statement, and idle open transactions, so no request can hang on the database. */
  timeoutMs: number;
  onIdleError: (err: Error) => void;
}

const INT8_OID = 20;

/** BIGINT columns come back as JS numbers; the schema's CHECKs keep totals exact, this double-checks. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value > MAX_TOTAL) throw new RangeError(`integer ${text} is past 2^53-1`);
  return value;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function createPool({ connectionString, max, timeoutMs, onIdleError }: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    types,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs + 1000,
    lock_timeout: timeoutMs,
    idle_in_transaction_session_timeout: timeoutMs * 6,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'flowanalysis',
  });
  // A connection that dies while idle in the pool emits here; the pool drops it and opens a new one on demand.
  pool.on('error', onIdleError);
  // A connection that dies while checked out but between queries (the server shutting down says so
  // unprompted) emits 'error' on the client, which would otherwise crash the process. The next query on
  // it fails, and its holder releases it as broken.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}
