import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ConfigSchema, loadConfig } from '../src/config.js';

/** Settings the stack sets itself, each with its reason; every other one is passed through. */
const SET_BY_THE_STACK = [
  'DATABASE_URL',
  'KAFKA_BROKERS',
  'KAFKA_TOPIC',
  'INMEMORY',
  'ROTATION_INTERVAL_MS',
  'LOG_LEVEL',
];
/** Settings compose must not pass: nginx and the healthcheck expect port 8080 on every address, the counts
 * file lives in its volume, replicas need their own INSTANCE_ID, and paths need a volume (override file). */
const NOT_PASSED = ['PORT', 'HOST', 'COUNTS_FILE', 'INSTANCE_ID', 'DATA_DIR', 'API_KEYS_FILE'];

const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string> }>;
};
const settings = Object.keys(ConfigSchema.properties);

describe('docker-compose.yml hands the configuration to the service', () => {
  test.each(['flowanalysis', 'flowanalysis-replica'])(
    '%s: every setting is set by the stack or passed through',
    (name) => {
      const env = compose.services[name].environment ?? {};
      for (const key of settings) {
        if (NOT_PASSED.includes(key)) expect(env, key).not.toHaveProperty(key);
        else if (SET_BY_THE_STACK.includes(key)) expect(env, key).toHaveProperty(key);
        else expect(env[key], key).toBe(`\${${key}:-}`);
      }
      for (const key of Object.keys(env)) expect(settings, `${key} is not a setting`).toContain(key);
    },
  );

  test('a setting left unset reaches the service empty, which means its default', () => {
    const passed = settings.filter((key) => !NOT_PASSED.includes(key) && !SET_BY_THE_STACK.includes(key));
    const empty = Object.fromEntries(passed.map((key) => [key, '']));
    const { INSTANCE_ID: _a, ...withEmpty } = loadConfig(empty);
    const { INSTANCE_ID: _b, ...defaults } = loadConfig({});
    expect(withEmpty).toEqual(defaults);
  });
});
