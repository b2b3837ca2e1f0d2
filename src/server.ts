import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { openCountsSink } from './sinks/open-sink.js';
import { MemoryFlowStore } from './store/memory.js';
import { RotationScheduler } from './window/scheduler.js';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
const log = createLogger(config.LOG_LEVEL);
const sink = await openCountsSink(config, log);
const scheduler = new RotationScheduler({ intervalMs: config.ROTATION_INTERVAL_MS, sink, log });
const store = new MemoryFlowStore(scheduler.window);
const app = buildApp({ config, store, logger: log, scheduler, sink });

closeWithGrace({ delay: 10_000, logger: log }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'shutting down after an error');
  else log.info({ signal }, 'shutting down');
  await app.close();
});

await app.listen({ port: config.PORT, host: config.HOST });
scheduler.start();
log.info(
  {
    store: config.INMEMORY ? 'memory' : 'postgres',
    counts: config.KAFKA_BROKERS ? `kafka:${config.KAFKA_TOPIC}` : 'file',
    countsFile: config.COUNTS_FILE,
    instance: config.INSTANCE_ID,
  },
  'flow aggregation ready',
);
