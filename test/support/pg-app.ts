import { type AppConfig, buildApp } from '../../src/app.js';
import { openPostgresBackend } from '../../src/store/postgres/open-postgres.js';
import { createPool } from '../../src/store/postgres/pool.js';
import { silentLogger, testConfig } from './helper.js';

export interface PgAppOptions {
  intervalMs?: number;
  now?: () => number;
  timeoutMs?: number;
  idempotencyPurgeMs?: number;
  readPageSize?: number;
  config?: Partial<AppConfig>;
}

/** An app over a PostgreSQL backend on `url`, driven with app.inject; as one service instance would be. */
export async function pgApp(
  url: string,
  { intervalMs = 60_000, now, timeoutMs = 2000, idempotencyPurgeMs, readPageSize, config }: PgAppOptions = {},
) {
  const pool = createPool({ connectionString: url, max: 5, timeoutMs, onIdleError: () => {} });
  const backend = await openPostgresBackend({
    pool,
    log: silentLogger,
    intervalMs,
    now,
    idempotencyPurgeMs,
    readPageSize,
  });
  const app = buildApp({ config: { ...testConfig, ...config }, backend, logger: silentLogger });
  return { app, store: backend.store, pool };
}
