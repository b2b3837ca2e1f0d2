import { describe, expect, it } from 'vitest';
import { countJson, type PublishedCount, parseCount } from '../../src/counts/minute-count.js';

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

  it('reads bytes of any number of digits exactly, and writes them back the same', () => {
    const text =
      '{"minute":"2026-11-21T16:37:00.000Z","unique_flows":2,"records":2,"bytes_tx":18014398509481982,"bytes_rx":123456789012345678901234567890,"instance":"a"}';
    const parsed = parseCount(text, 'b');
    expect(parsed).toEqual({
      minute: '2026-11-21T16:37:00.000Z',
      unique_flows: 2,
      records: 2,
      bytes_tx: 18014398509481982n,
      bytes_rx: 123456789012345678901234567890n,
      instance: 'a',
    });
    expect(countJson(parsed as PublishedCount)).toBe(text);
  });

  it.each([
    ['not JSON', '{"minute":'],
    ['not an object', '42'],
    ['null', 'null'],
    ['no minute', JSON.stringify({ ...count, minute: undefined })],
    ['a missing number', JSON.stringify({ ...count, records: undefined })],
    ['a number as text', JSON.stringify({ ...count, bytes_tx: '5' })],
    ['records past 2^53-1', JSON.stringify({ ...count, records: 2 ** 53 })],
    ['a fraction', JSON.stringify({ ...count, unique_flows: 1.5 })],
    ['bytes with a fraction', '{"minute":"m","unique_flows":1,"records":1,"bytes_tx":1.0,"bytes_rx":1}'],
    ['bytes with an exponent', '{"minute":"m","unique_flows":1,"records":1,"bytes_tx":1,"bytes_rx":1e3}'],
    ['negative bytes', '{"minute":"m","unique_flows":1,"records":1,"bytes_tx":-1,"bytes_rx":1}'],
  ])('refuses %s', (_name, text) => {
    expect(parseCount(text, 'b')).toBeUndefined();
  });
});
