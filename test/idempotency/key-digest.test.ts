import siphash24 from 'siphash24';
import { describe, expect, it } from 'vitest';
import { KeyDigest } from '../../src/idempotency/key-digest.js';

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
const digestOf = (digest: KeyDigest, key: string) => {
  const out = new Int32Array(4);
  digest.digest(key, out);
  return Buffer.from(out.buffer).toString('hex');
};

describe('KeyDigest', () => {
  it('is SipHash-2-4 of the UTF-8 text under each half of the secret (the reference vectors)', () => {
    // The reference implementation's vectors (vectors.h): key 00..0f, message 00..0e gives the bytes
    // e5 45 be 49 61 ca 29 a1 (0xa129ca6149be45e5 in the paper's appendix A, little-endian).
    const secret = new Uint8Array(32);
    secret.set(bytes(16));
    secret.set(bytes(16), 16);
    const message = String.fromCharCode(...bytes(15));
    expect(digestOf(new KeyDigest(secret), message)).toBe('e545be4961ca29a1'.repeat(2));
    // The empty message: 31 0e 0e dd 47 db 6f 72.
    expect(digestOf(new KeyDigest(secret), '')).toBe('310e0edd47db6f72'.repeat(2));
  });

  it('gives the two halves from the two halves of the secret', () => {
    const secret = new Uint8Array(32);
    secret.set(bytes(16));
    const digest = digestOf(new KeyDigest(secret), String.fromCharCode(...bytes(15)));
    expect(digest.slice(0, 16)).toBe('e545be4961ca29a1');
    expect(digest.slice(16)).not.toBe('e545be4961ca29a1');
  });

  it('hashes the UTF-8 bytes of keys that are not ASCII, however long', () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);
    const digest = new KeyDigest(secret);
    const direct = (key: string) =>
      [secret.subarray(0, 16), secret.subarray(16)]
        .map((half) => Buffer.from(siphash24(Buffer.from(key, 'utf8'), half)).toString('hex'))
        .join('');
    // ASCII is stored character by character, up to the first character that is not: then the whole is encoded.
    const keys = [
      '-:ascii-key',
      `tenant:${'é'.repeat(600)}€`,
      'é',
      'Ã©',
      'a',
      'abc\u007f',
      'abc\u0080',
      'k1:key-€',
      '😀:x',
    ];
    for (const key of keys) {
      expect(digestOf(digest, key)).toBe(direct(key));
    }
    // 'é' is c3 a9 in UTF-8, the same two bytes as the Latin-1 characters 'Ã©': those are encoded in turn.
    expect(digestOf(digest, 'é')).not.toBe(digestOf(digest, 'Ã©'));
  });

  it('draws a new secret for each digest when none is given', () => {
    expect(digestOf(new KeyDigest(), 'key')).not.toBe(digestOf(new KeyDigest(), 'key'));
  });

  it('refuses a secret of another size', () => {
    expect(() => new KeyDigest(new Uint8Array(16))).toThrow(RangeError);
  });
});
