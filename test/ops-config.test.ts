import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration of the operational features', () => {
  test('defaults: auth keys unset and rate limiting off (both opt-in), timeouts set explicitly', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PROTECT_METRICS: false,
      PROTECT_DOCS: false,
      DOCS_ENABLED: true,
      RATE_LIMIT_MAX: 0,
      RATE_LIMIT_WINDOW_MS: 60_000,
      SHED_MAX_EVENT_LOOP_DELAY_MS: 1000,
      SHED_MAX_HEAP_USED_BYTES: 0,
      SHED_MAX_RSS_BYTES: 0,
      SHED_RETRY_AFTER_S: 10,
      IDEMPOTENCY_TTL_MS: 86_400_000,
      IDEMPOTENCY_MAX_KEYS: 100_000,
      REQUEST_TIMEOUT_MS: 30_000,
      HEADERS_TIMEOUT_MS: 10_000,
      CONNECTION_TIMEOUT_MS: 60_000,
      KEEP_ALIVE_TIMEOUT_MS: 72_000,
    });
    expect(config.API_KEYS_INGEST).toBeUndefined();
  });

  test('values are parsed and checked', () => {
    expect(loadConfig({ RATE_LIMIT_MAX: '600', PROTECT_METRICS: 'true' })).toMatchObject({
      RATE_LIMIT_MAX: 600,
      PROTECT_METRICS: true,
    });
    expect(() => loadConfig({ RATE_LIMIT_MAX: '-1' })).toThrow(/RATE_LIMIT_MAX/);
    expect(() => loadConfig({ IDEMPOTENCY_TTL_MS: 'soon' })).toThrow(/IDEMPOTENCY_TTL_MS/);
  });

  test('a header deadline past the request deadline is refused', () => {
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '6000' })).toThrow(ConfigError);
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '6000' })).toThrow(
      /HEADERS_TIMEOUT_MS must be <= REQUEST_TIMEOUT_MS/,
    );
  });
});
