import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has the defaults DESIGN.md fixes', () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 8080,
      HOST: '0.0.0.0',
      INMEMORY: true,
      DATABASE_URL: 'postgres://postgres:password@localhost:5432/mydb',
      KAFKA_TOPIC: 'flow-counts',
      COUNTS_FILE: './volumes/counts/counts.jsonl',
      ROTATION_INTERVAL_MS: 60_000,
      LOG_LEVEL: 'info',
      BODY_LIMIT: 16 * 1024 * 1024,
      MAX_BATCH_RECORDS: 10_000,
    });
  });

  it('documents every variable in the README configuration table', async () => {
    const readme = await readFile('README.md', 'utf8');
    for (const name of Object.keys(loadConfig({ KAFKA_BROKERS: 'x' })))
      expect(readme).toMatch(new RegExp(`^\\|.*\`${name}\``, 'm'));
  });

  it('reads typed values and treats empty as unset', () => {
    const config = loadConfig({ INMEMORY: 'false', PORT: '9000', KAFKA_BROKERS: 'a:9092,b:9092', LOG_LEVEL: '' });
    expect(config).toMatchObject({ INMEMORY: false, PORT: 9000, KAFKA_BROKERS: 'a:9092,b:9092', LOG_LEVEL: 'info' });
  });

  it.each([
    [{ INMEMORY: 'maybe' }, 'invalid configuration: INMEMORY must be true or false'],
    [{ PORT: 'abc' }, 'invalid configuration: PORT must be an integer'],
    [{ PORT: '70000' }, 'invalid configuration: PORT must be <= 65535'],
    [{ ROTATION_INTERVAL_MS: '1.5' }, 'invalid configuration: ROTATION_INTERVAL_MS must be an integer'],
    [{ ROTATION_INTERVAL_MS: '0' }, 'invalid configuration: ROTATION_INTERVAL_MS must be >= 10'],
    [{ MAX_BATCH_RECORDS: '0' }, 'invalid configuration: MAX_BATCH_RECORDS must be >= 1'],
    [
      { LOG_LEVEL: 'loud' },
      'invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    ],
  ])('rejects %j with one clear line', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message));
  });
});
