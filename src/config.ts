import { hostname } from 'node:os';
import type { ErrorObject } from 'ajv';
import envSchema from 'env-schema';
import { type Static, Type } from 'typebox';
import { describeRule } from './schemas/rule-wording.js';

export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  INMEMORY: Type.Boolean({ default: true }),
  DATABASE_URL: Type.String({ minLength: 1, default: 'postgres://postgres:password@localhost:5432/mydb' }),
  PG_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  PG_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
  KAFKA_BROKERS: Type.Optional(Type.String({ minLength: 1 })),
  KAFKA_TOPIC: Type.String({ minLength: 1, default: 'flow-counts' }),
  /** How long one Kafka request may take before it counts as failed. */
  KAFKA_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 300_000, default: 10_000 }),
  /** Longest wait between attempts to reach Kafka while it is down (backoff cap and breaker re-test). */
  KAFKA_RETRY_MAX_MS: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 30_000 }),
  /** Names this process in every published count; unset means hostname-pid-start time. */
  INSTANCE_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  COUNTS_FILE: Type.String({ minLength: 1, default: './volumes/counts/counts.jsonl' }),
  ROTATION_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 60_000 }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 1024 * 1024 * 1024, default: 16 * 1024 * 1024 }),
  MAX_BATCH_RECORDS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
  // Authentication: on as soon as any key is configured.
  API_KEYS_INGEST: Type.Optional(Type.String({ minLength: 1 })),
  API_KEYS_QUERY: Type.Optional(Type.String({ minLength: 1 })),
  API_KEYS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  PROTECT_METRICS: Type.Boolean({ default: false }),
  PROTECT_DOCS: Type.Boolean({ default: false }),
  DOCS_ENABLED: Type.Boolean({ default: true }),
  // Rate limiting per API key (per client IP when authentication is off); 0 turns it off.
  RATE_LIMIT_MAX: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 60_000 }),
  // Behind a load balancer, the client address (for per-IP limits) comes from X-Forwarded-For.
  TRUST_PROXY: Type.Boolean({ default: false }),
  // Load shedding; 0 turns a check off.
  SHED_MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 1000 }),
  SHED_MAX_HEAP_USED_BYTES: Type.Integer({ minimum: 0, default: 0 }),
  SHED_MAX_RSS_BYTES: Type.Integer({ minimum: 0, default: 0 }),
  SHED_RETRY_AFTER_S: Type.Integer({ minimum: 1, maximum: 3600, default: 10 }),
  // Idempotency-Key retention.
  IDEMPOTENCY_TTL_MS: Type.Integer({ minimum: 1000, maximum: 30 * 86_400_000, default: 86_400_000 }),
  IDEMPOTENCY_MAX_KEYS: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 100_000 }),
  // Timeouts: a whole request must arrive within REQUEST_TIMEOUT_MS, its headers within HEADERS_TIMEOUT_MS.
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 10_000 }),
  CONNECTION_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 60_000 }),
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 72_000 }),
  // Retention (both stores) and the in-memory store's bounds; unset bounds are derived from the heap limit.
  RETENTION_HOURS: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
  // Flow ids are int32 and reused only a window after their flows are dropped: stay well under 2^31.
  MAX_FLOWS: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
  // The interner's byte offsets are int32.
  MAX_NAME_BYTES: Type.Optional(Type.Integer({ minimum: 1024, maximum: 2 ** 31 - 1 })),
  // How long published minute counts stay queryable (GET /counts).
  COUNTS_RETENTION_HOURS: Type.Integer({ minimum: 1, maximum: 8760, default: 24 }),
  // DATA_DIR: the in-memory store's write-ahead log and snapshots (unset: totals last as long as the process).
  DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  SNAPSHOT_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 86_400_000, default: 600_000 }),
  SNAPSHOT_LOG_BYTES: Type.Integer({ minimum: 4096, maximum: 2 ** 40, default: 256 * 1024 * 1024 }),
});

export type Config = Static<typeof ConfigSchema> & { INSTANCE_ID: string };

export class ConfigError extends Error {}

/** Reads and validates the environment once; the message names the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const data = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  let config: Config;
  try {
    const parsed = envSchema<Static<typeof ConfigSchema>>({ schema: ConfigSchema, data, env: false, dotenv: false });
    // The start time makes each run distinct, so a restarted process never looks like a repeat of its predecessor.
    config = {
      ...parsed,
      INSTANCE_ID: parsed.INSTANCE_ID ?? `${hostname()}-${process.pid}-${Date.now().toString(36)}`,
    };
  } catch (err) {
    const first = (err as { errors?: ErrorObject[] }).errors?.[0];
    if (!first) throw new ConfigError(`invalid configuration: ${(err as Error).message}`);
    throw new ConfigError(`invalid configuration: ${first.instancePath.slice(1)} ${describeRule(first)}`);
  }
  // Node checks headers against the whole-request deadline, so a larger header deadline would never apply.
  if (config.HEADERS_TIMEOUT_MS > config.REQUEST_TIMEOUT_MS) {
    throw new ConfigError('invalid configuration: HEADERS_TIMEOUT_MS must be <= REQUEST_TIMEOUT_MS');
  }
  return config;
}
