import { describe, expect, it } from 'vitest';
import { acceptedCount, acceptedOutcome } from '../../src/idempotency/idempotency-store.js';

describe('acceptedCount', () => {
  it('reads back the count of every acceptedOutcome', () => {
    for (const accepted of [0, 1, 9, 10, 1000, 123_456_789, Number.MAX_SAFE_INTEGER]) {
      expect(acceptedCount(acceptedOutcome('hash', accepted).response)).toBe(accepted);
    }
  });

  it('is undefined for any other response', () => {
    const payloads = [
      '{"accepted":}',
      '{"accepted":01}',
      '{"accepted":-1}',
      '{"accepted":1.5}',
      '{"accepted":1e3}',
      '{"accepted": 1}',
      '{"accepted":1 }',
      '{"accepted":1',
      '{"accepted":1}}',
      '{"accepted":"1"}',
      '{"accepted":9007199254740993}',
      '{"accepted":12345678901234567}',
      '{"accepted":00}',
      '{"accepted":1x}',
      '{"accepted":12',
      '{"accepted":1]',
      '{"accepted":/}',
      '{"acceptez":1}',
      '["accepted":1}',
      '{"rejected":1}',
      '',
    ];
    for (const payload of payloads) expect(acceptedCount({ statusCode: 200, payload }), payload).toBeUndefined();
    expect(acceptedCount({ statusCode: 201, payload: '{"accepted":1}' })).toBeUndefined();
  });
});
