import { describe, expect, it } from 'vitest';
import { findLenientInput } from '../../../src/routes/flows/lenient-json.js';

const PLAIN = 'must be a plain decimal integer (no fraction or exponent)';

describe('findLenientInput (what JSON.parse would hide in a batch)', () => {
  it.each([
    ['plain records', '[{"src_app":"a","bytes_tx":0,"hour":-1},\n {"src_app":"b"}]'],
    ['an empty batch', ' [ ] '],
    ['not a batch', '{"src_app":"a","src_app":"b","bytes_tx":1.5}'],
    ['numbers outside records', '[1.5, [2e3], "x"]'],
    ['nested values (the schema rejects them)', '[{"src_app":{"a":1.5,"a":2}}]'],
    ['punctuation and escapes inside strings', '[{"src_app":"\\",1.5,{\\"hour\\":","dest_app":"]},{"}]'],
    ['an unknown field twice (the schema rejects it)', '[{"proto":"tcp","proto":"udp"}]'],
  ])('finds nothing in %s', (_name, text) => {
    expect(findLenientInput(text)).toBeUndefined();
  });

  it.each([
    ['[{"hour":1},{"hour":2,"bytes_tx":3.0}]', `record 1: field "bytes_tx" ${PLAIN}`],
    ['[{"bytes_rx":-1e0}]', `record 0: field "bytes_rx" ${PLAIN}`],
    ['[{"hour":5E-1}]', `record 0: field "hour" ${PLAIN}`],
    ['[{"proto":0.5}]', `record 0: field "proto" ${PLAIN}`],
    ['[{"src_app":"a,\\"}"},{"src_app":"a","dest_app":"b","src_app":"a"}]', 'record 1: duplicate field "src_app"'],
    ['[{"hour":1,"ho\\u0075r":1}]', 'record 0: duplicate field "hour"'],
    ['[{"src_app":"a"}, [], {"vpc_id":"x","vpc_id":"x"}]', 'record 2: duplicate field "vpc_id"'],
  ])('in %s: %s', (text, message) => {
    expect(findLenientInput(text)).toBe(message);
  });
});
