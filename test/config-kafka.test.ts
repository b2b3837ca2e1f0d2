import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('Kafka configuration', () => {
  it('defaults INSTANCE_ID to hostname-pid-start time, and the Kafka timeouts', () => {
    const config = loadConfig({});
    expect(config.INSTANCE_ID.startsWith(`${hostname()}-${process.pid}-`)).toBe(true);
    expect(config.KAFKA_REQUEST_TIMEOUT_MS).toBe(10_000);
    expect(config.KAFKA_RETRY_MAX_MS).toBe(30_000);
    expect(config.KAFKA_BROKERS).toBeUndefined();
  });

  it('takes INSTANCE_ID and the timeouts from the environment', () => {
    const config = loadConfig({ INSTANCE_ID: 'web-1', KAFKA_REQUEST_TIMEOUT_MS: '500', KAFKA_RETRY_MAX_MS: '2000' });
    expect(config).toMatchObject({ INSTANCE_ID: 'web-1', KAFKA_REQUEST_TIMEOUT_MS: 500, KAFKA_RETRY_MAX_MS: 2000 });
  });

  it('rejects a bad timeout with a message naming it', () => {
    expect(() => loadConfig({ KAFKA_REQUEST_TIMEOUT_MS: '5' })).toThrow(ConfigError);
    expect(() => loadConfig({ KAFKA_REQUEST_TIMEOUT_MS: '5' })).toThrow(/KAFKA_REQUEST_TIMEOUT_MS/);
  });
});
