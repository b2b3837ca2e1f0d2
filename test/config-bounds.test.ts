import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('retention and bounds configuration', () => {
  it('leaves RETENTION_HOURS, MAX_FLOWS and MAX_NAME_BYTES unset by default (keep all; bounds from the heap)', () => {
    const config = loadConfig({});
    expect(config.RETENTION_HOURS).toBeUndefined();
    expect(config.MAX_FLOWS).toBeUndefined();
    expect(config.MAX_NAME_BYTES).toBeUndefined();
  });

  it('reads them as integers, RETENTION_HOURS=0 included', () => {
    expect(loadConfig({ RETENTION_HOURS: '0', MAX_FLOWS: '1000', MAX_NAME_BYTES: '1048576' })).toMatchObject({
      RETENTION_HOURS: 0,
      MAX_FLOWS: 1000,
      MAX_NAME_BYTES: 1_048_576,
    });
  });

  it.each([
    [{ RETENTION_HOURS: '-1' }, 'invalid configuration: RETENTION_HOURS must be >= 0'],
    [{ RETENTION_HOURS: '1.5' }, 'invalid configuration: RETENTION_HOURS must be an integer'],
    [{ MAX_FLOWS: '0' }, 'invalid configuration: MAX_FLOWS must be >= 1'],
    [{ MAX_FLOWS: '2000000000' }, 'invalid configuration: MAX_FLOWS must be <= 1000000000'],
    [{ MAX_NAME_BYTES: '10' }, 'invalid configuration: MAX_NAME_BYTES must be >= 1024'],
    [{ MAX_NAME_BYTES: '4294967296' }, 'invalid configuration: MAX_NAME_BYTES must be <= 2147483647'],
  ])('rejects %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
