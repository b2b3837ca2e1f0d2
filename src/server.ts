// Must stay the first import (see warm-next-tick.ts).
import './warm-next-tick.js';
import { fileURLToPath } from 'node:url';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { type ApiKeys, loadApiKeys } from './auth/api-keys.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { openCountsSink } from './sinks/open-sink.js';
import { recordingSink } from './sinks/recording-sink.js';
import { openStore } from './store/open-store.js';
import { RotationScheduler } from './window/scheduler.js';

function readConfig(): { config: Config; apiKeys: ApiKeys | undefined } {
  try {
    const config = loadConfig();
    return { config, apiKeys: loadApiKeys(config) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

const { config, apiKeys } = readConfig();
const log = createLogger(config.LOG_LEVEL);
if (!apiKeys) {
  log.warn(
    'authentication is off: anyone who can reach this port can write and read flows; set API_KEYS_INGEST and API_KEYS_QUERY (or API_KEYS_FILE)',
  );
  if (config.PROTECT_METRICS || config.PROTECT_DOCS)
    log.warn('PROTECT_METRICS and PROTECT_DOCS need API keys to protect anything');
}
const sink = await openCountsSink(config, log);
if (config.DATA_DIR && !config.INMEMORY)
  log.warn('DATA_DIR is ignored: the PostgreSQL store (INMEMORY=false) keeps its own data');
const backend = await openStore(config, log).catch((err: unknown) => {
  if (config.INMEMORY) log.fatal({ err }, `could not open DATA_DIR: ${(err as Error).message}`);
  else log.fatal({ err }, 'could not open the PostgreSQL store (DATABASE_URL)');
  process.exit(1);
});
const scheduler = new RotationScheduler({
  intervalMs: config.ROTATION_INTERVAL_MS,
  // Every count published is also kept for GET /counts.
  sink: recordingSink(sink, backend.countsHistory, log),
  log,
  counter: backend.counter,
});
// dist/dashboard/public, from dist/server.js and from src/server.ts (npm run dev) alike.
const dashboardDir = fileURLToPath(new URL('../dist/dashboard/public/', import.meta.url));
const app = buildApp({ config, backend, logger: log, scheduler, sink, apiKeys, dashboardDir });

closeWithGrace({ delay: 10_000, logger: log }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'shutting down after an error');
  else log.info({ signal }, 'shutting down');
  await app.close();
});

try {
  await app.listen({ port: config.PORT, host: config.HOST });
} catch (err) {
  // Nothing was served, so nothing is published: the scheduler has not started, and stopping it is a no-op.
  log.fatal({ err }, `could not listen on ${config.HOST}:${config.PORT}`);
  await app.close();
  process.exit(1);
}
// Only now: a process that never served must not publish a (partial) minute.
scheduler.start();
log.info(
  {
    store: config.INMEMORY ? 'memory' : 'postgres',
    countsFile: config.COUNTS_FILE,
    auth: apiKeys ? `${apiKeys.size} keys` : 'off',
    rateLimit: config.RATE_LIMIT_MAX > 0 ? `${config.RATE_LIMIT_MAX} per ${config.RATE_LIMIT_WINDOW_MS} ms` : 'off',
    counts: config.KAFKA_BROKERS ? `kafka:${config.KAFKA_TOPIC}` : 'file',
    instance: config.INSTANCE_ID,
  },
  'flow aggregation ready',
);
