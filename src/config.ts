import envSchema from 'env-schema';
import { type Static, Type } from 'typebox';

const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  INMEMORY: Type.Boolean({ default: true }),
  DATABASE_URL: Type.String({ minLength: 1, default: 'postgres://postgres:password@localhost:5432/mydb' }),
  PG_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  PG_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
  KAFKA_BROKERS: Type.Optional(Type.String({ minLength: 1 })),
  KAFKA_TOPIC: Type.String({ minLength: 1, default: 'flow-counts' }),
  COUNTS_FILE: Type.String({ minLength: 1, default: './volumes/counts/counts.jsonl' }),
  ROTATION_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 60_000 }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 1024 * 1024 * 1024, default: 16 * 1024 * 1024 }),
  MAX_BATCH_RECORDS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** Reads and validates the environment once; the message names the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const data = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  try {
    return envSchema<Config>({ schema: ConfigSchema, data, env: false, dotenv: false });
  } catch (err) {
    const [first] = (err as { errors?: { instancePath: string; message?: string; params: Record<string, unknown> }[] })
      .errors ?? [{ instancePath: '', message: (err as Error).message, params: {} }];
    const allowed = first.params.allowedValues ? ` (${(first.params.allowedValues as string[]).join(', ')})` : '';
    throw new ConfigError(`invalid configuration: ${first.instancePath.slice(1)} ${first.message}${allowed}`);
  }
}
