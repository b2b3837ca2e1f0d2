import { hostname } from 'node:os';
import envSchema from 'env-schema';
import { type Static, Type } from 'typebox';

const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  INMEMORY: Type.Boolean({ default: true }),
  DATABASE_URL: Type.String({ minLength: 1, default: 'postgres://postgres:password@localhost:5432/mydb' }),
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
});

export type Config = Static<typeof ConfigSchema> & { INSTANCE_ID: string };

export class ConfigError extends Error {}

/** Reads and validates the environment once; the message names the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const data = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  try {
    const config = envSchema<Static<typeof ConfigSchema>>({ schema: ConfigSchema, data, env: false, dotenv: false });
    // The start time makes each run distinct, so a restarted process never looks like a repeat of its predecessor.
    return { ...config, INSTANCE_ID: config.INSTANCE_ID ?? `${hostname()}-${process.pid}-${Date.now().toString(36)}` };
  } catch (err) {
    const [first] = (err as { errors?: { instancePath: string; message?: string; params: Record<string, unknown> }[] })
      .errors ?? [{ instancePath: '', message: (err as Error).message, params: {} }];
    const allowed = first.params.allowedValues ? ` (${(first.params.allowedValues as string[]).join(', ')})` : '';
    throw new ConfigError(`invalid configuration: ${first.instancePath.slice(1)} ${first.message}${allowed}`);
  }
}
