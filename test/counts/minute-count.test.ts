import { describe, expect, it } from 'vitest';
import { parseCount } from '../../src/counts/minute-count.js';

const count = { minute: '2026-11-21T16:37:00.000Z', unique_flows: 3, records: 4, bytes_tx: 5, bytes_rx: 6 };

describe('parseCount (the spool and the counts command read counts back with it)', () => {
  it('reads a published count, keeping its instance, or naming the one given when it has none', () => {
    expect(parseCount(JSON.stringify({ ...count, instance: 'a', partial: true }), 'b')).toEqual({
      ...count,
      instance: 'a',
      partial: true,
    });
    expect(parseCount(JSON.stringify(count), 'b')).toEqual({ ...count, instance: 'b' });
  });

  it.each([
    ['not JSON', '{"minute":'],
    ['not an object', '42'],
    ['null', 'null'],
    ['no minute', JSON.stringify({ ...count, minute: undefined })],
    ['a missing number', JSON.stringify({ ...count, records: undefined })],
    ['a number as text', JSON.stringify({ ...count, bytes_tx: '5' })],
    ['a number past 2^53-1', JSON.stringify({ ...count, bytes_rx: 2 ** 53 })],
    ['a fraction', JSON.stringify({ ...count, unique_flows: 1.5 })],
  ])('refuses %s', (_name, text) => {
    expect(parseCount(text, 'b')).toBeUndefined();
  });
});
