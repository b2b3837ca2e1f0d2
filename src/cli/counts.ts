import { parseArgs } from 'node:util';
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../config.js';
import { countJson, parseCount } from '../counts/minute-count.js';
import { createKafka } from '../kafka/client.js';
import { formatCount } from './format-count.js';
import { RepeatFilter } from './repeat-filter.js';

const USAGE = `Prints the per-minute flow counts published to Kafka, one line per minute.

usage: npm run counts -- [options]       (or: node dist/cli/counts.js [options])

  --from-beginning   start at the oldest count when this group has no committed offset yet
                     (otherwise a new group starts with the next count published)
  --brokers LIST     comma-separated host:port (default: $KAFKA_BROKERS, else localhost:9094)
  --topic NAME       (default: $KAFKA_TOPIC, else flow-counts)
  --group ID         consumer group; its committed offset is where a restart resumes (default: flow-counts-cli)
  --json             print each count as its JSON message value
  -h, --help
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      options: {
        'from-beginning': { type: 'boolean', default: false },
        brokers: { type: 'string' },
        topic: { type: 'string' },
        group: { type: 'string', default: 'flow-counts-cli' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
}

function readConfig() {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    fail(err.message);
  }
}

const args = parse();
if (args.values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const config = readConfig();

// stdout carries the counts only; logs go to stderr.
const log = pino({ level: config.LOG_LEVEL }, pino.destination(2));
const topic = args.values.topic ?? config.KAFKA_TOPIC;
const brokers = args.values.brokers ?? config.KAFKA_BROKERS ?? 'localhost:9094';
const kafka = createKafka({
  brokers,
  clientId: 'flow-counts-cli',
  requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS,
  log,
});
const consumer = kafka.consumer({
  groupId: args.values.group,
  // Short timeouts: a restarted command rejoins its group in seconds, not after the default 30 s in
  // which a broker may still wait for the previous run's member.
  sessionTimeout: 6_000,
  rebalanceTimeout: 6_000,
  heartbeatInterval: 1_000,
});
const repeats = new RepeatFilter();
const json = args.values.json;

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  // The reader went away (`| head`): nothing more to print.
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

closeWithGrace({ delay: 10_000, logger: log }, async ({ err }) => {
  if (err) log.error({ err }, 'stopping after an error');
  // Disconnecting commits the offsets of what was printed, so the next run resumes after it.
  await consumer.disconnect();
});

/** kafkajs wraps the failure that ended its retries; the innermost message is the one that says what happened. */
function rootCause(err: unknown): string {
  let cause = err as Error & { cause?: unknown };
  while (cause.cause instanceof Error) cause = cause.cause;
  return cause.message;
}

async function watch(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: args.values['from-beginning'] });
  await consumer.run({
    // Commit after every count: a restart resumes right after the last line printed.
    autoCommitThreshold: 1,
    eachMessage: async ({ message, partition }) => {
      const count = message.value === null ? undefined : parseCount(message.value.toString('utf8'), 'unknown');
      if (!count) {
        log.warn({ partition, offset: message.offset }, 'message is not a flow count; skipped');
        return;
      }
      if (repeats.isRepeat(count)) {
        log.debug({ minute: count.minute, instance: count.instance, scope: count.scope }, 'repeated count dropped');
        return;
      }
      process.stdout.write(`${json ? countJson(count) : formatCount(count)}\n`);
    },
  });
}

try {
  await watch();
} catch (err) {
  // A person at a terminal: one line that says what failed, not a stack (LOG_LEVEL=debug shows kafkajs' detail).
  process.stderr.write(`cannot read counts from Kafka at ${brokers}: ${rootCause(err)}\n`);
  await consumer.disconnect().catch(() => {});
  process.exit(1);
}
log.info({ topic, group: args.values.group }, 'watching flow counts');
