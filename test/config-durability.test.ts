import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('configuration of DATA_DIR', () => {
  it('is off by default (volatile totals), with snapshots every 10 minutes or 256 MiB of log', () => {
    const config = loadConfig({ DATA_DIR: '' });
    expect(config.DATA_DIR).toBeUndefined();
    expect(config).toMatchObject({ SNAPSHOT_INTERVAL_MS: 600_000, SNAPSHOT_LOG_BYTES: 256 * 1024 * 1024 });
    expect(loadConfig({ DATA_DIR: '/var/lib/flows', SNAPSHOT_LOG_BYTES: '4096' })).toMatchObject({
      DATA_DIR: '/var/lib/flows',
      SNAPSHOT_LOG_BYTES: 4096,
    });
  });

  it.each([
    [{ SNAPSHOT_INTERVAL_MS: '50' }, 'invalid configuration: SNAPSHOT_INTERVAL_MS must be >= 100'],
    [{ SNAPSHOT_INTERVAL_MS: 'hourly' }, 'invalid configuration: SNAPSHOT_INTERVAL_MS must be an integer'],
    [{ SNAPSHOT_LOG_BYTES: '1024' }, 'invalid configuration: SNAPSHOT_LOG_BYTES must be >= 4096'],
  ])('refuses %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('is in the README configuration table', async () => {
    const readme = await readFile('README.md', 'utf8');
    for (const name of ['DATA_DIR', 'SNAPSHOT_INTERVAL_MS', 'SNAPSHOT_LOG_BYTES']) {
      expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
    }
  });
});
