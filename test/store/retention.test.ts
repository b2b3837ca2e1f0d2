import { describe, expect, it } from 'vitest';
import { checkRetention, retentionStatus } from '../../src/store/retention.js';

describe('checkRetention', () => {
  it('returns the newest hour after the batch, or the one before for an empty batch', () => {
    expect(checkRetention([3, 9, 4], 3, -1, 24)).toBe(9);
    expect(checkRetention([3, 9, 4], 3, 12, 24)).toBe(12);
    expect(checkRetention([], 0, 12, 24)).toBe(12);
    expect(checkRetention([], 0, -1, 0)).toBe(-1);
  });

  it('reads only the first `length` hours (the in-memory batch columns are longer than the batch)', () => {
    expect(checkRetention(Int32Array.of(50, 49, 1, 2000), 2, 50, 10)).toBe(50);
  });

  it('refuses at the first expired record, counting from the newest hour after the batch', () => {
    expect(() => checkRetention([60, 35, 36, 20], 4, 50, 24)).toThrow(
      'record 1: hour 35 has expired: the oldest hour kept is 36 (the newest hour 60 minus RETENTION_HOURS=24)',
    );
    expect(checkRetention([60, 36], 2, 50, 24)).toBe(60);
  });

  it('reports the oldest hour kept as at least 0', () => {
    expect(retentionStatus(24, -1, 0)).toEqual({
      retention_hours: 24,
      newest_hour: null,
      oldest_hour_kept: null,
      expired_total: 0,
    });
    expect(retentionStatus(24, 10, 0)).toMatchObject({ newest_hour: 10, oldest_hour_kept: 0 });
    expect(retentionStatus(24, 30, 7)).toMatchObject({ oldest_hour_kept: 6, expired_total: 7 });
  });
});
