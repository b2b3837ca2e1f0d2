import siphash24 from 'siphash24';
import { describe, expect, it } from 'vitest';
import { SIP_HASH_INPUT_AT, SipHash, secretWords } from '../../src/idempotency/sip-hash.js';

const hashOf = (sipHash: SipHash, input: Uint8Array, secret: Uint8Array) => {
  const out = new Int32Array(2);
  sipHash.hash(sipHash.write(input), secretWords(secret), out, 0);
  return Buffer.from(out.buffer).toString('hex');
};

describe('SipHash', () => {
  it('is SipHash-2-4 (the reference vectors), under one secret after another on the same input', () => {
    const sipHash = new SipHash();
    const key = Uint8Array.from({ length: 16 }, (_, i) => i);
    // vectors.h: key 00..0f, message 00..0e gives e5 45 be 49 61 ca 29 a1; the empty message 31 0e 0e dd 47 db 6f 72.
    expect(
      hashOf(
        sipHash,
        Uint8Array.from({ length: 15 }, (_, i) => i),
        key,
      ),
    ).toBe('e545be4961ca29a1');
    expect(hashOf(sipHash, new Uint8Array(0), key)).toBe('310e0edd47db6f72');
    const other = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);
    const input = Buffer.from('tenant:key-1');
    const out = new Int32Array(4);
    const length = sipHash.write(input);
    sipHash.hash(length, secretWords(key), out, 0);
    sipHash.hash(length, secretWords(other), out, 2);
    const expected = Buffer.concat([siphash24(input, key), siphash24(input, other)]);
    expect(Buffer.from(out.buffer).toString('hex')).toBe(expected.toString('hex'));
  });

  it('grows its memory for an input past it, and hashes it whole', () => {
    const sipHash = new SipHash();
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    big[big.length - 1] = 1;
    const key = Uint8Array.from({ length: 16 }, (_, i) => i * 3);
    expect(sipHash.inputOf(big.length).length).toBeGreaterThanOrEqual(SIP_HASH_INPUT_AT + big.length);
    expect(hashOf(sipHash, big, key)).toBe(Buffer.from(siphash24(big, key)).toString('hex'));
  });
});
