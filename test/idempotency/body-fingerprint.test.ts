import { createHash } from 'node:crypto';
import siphash24 from 'siphash24';
import { describe, expect, it } from 'vitest';
import { BodyFingerprint } from '../../src/idempotency/body-fingerprint.js';

const records = [{ src_app: 'a b', dest_app: 'x', vpc_id: 'é', bytes_tx: 1, bytes_rx: 2, hour: 3 }];
const compact = Buffer.from(JSON.stringify(records));

describe('BodyFingerprint', () => {
  it('is SipHash-2-4 of the compared body under its secret, as four UTF-16 code units', () => {
    const secret = Uint8Array.from({ length: 16 }, (_, i) => i);
    const fingerprint = new BodyFingerprint(secret).of(compact);
    expect(fingerprint).toHaveLength(4);
    const units = new Uint16Array(siphash24(compact, secret).buffer);
    expect(fingerprint).toBe(String.fromCharCode(...units));
  });

  it('tells bodies apart as bodyHash does: whitespace between tokens does not count, a byte does', () => {
    const fingerprint = new BodyFingerprint();
    const of = (body: unknown) => fingerprint.of(body);
    expect(of(Buffer.from(JSON.stringify(records, null, 2)))).toBe(of(compact));
    expect(of(records)).toBe(of(compact));
    expect(of(Buffer.from(JSON.stringify([{ ...records[0], bytes_tx: 2 }])))).not.toBe(of(compact));
    expect(of(undefined)).toBe(of(Buffer.alloc(0)));
  });

  it('fingerprints the SHA-256 of a body past 64 KiB, so WebAssembly memory stays small', () => {
    const secret = Uint8Array.from({ length: 16 }, (_, i) => 200 - i);
    const big = Buffer.from(JSON.stringify(Array.from({ length: 1000 }, () => records[0])));
    expect(big.length).toBeGreaterThan(64 * 1024);
    const units = new Uint16Array(siphash24(createHash('sha256').update(big).digest(), secret).buffer);
    expect(new BodyFingerprint(secret).of(big)).toBe(String.fromCharCode(...units));
    const changed = Buffer.from(big);
    changed[changed.length - 3] = 0x39; // a digit of the last record's hour
    expect(new BodyFingerprint(secret).of(changed)).not.toBe(new BodyFingerprint(secret).of(big));
  });

  it('draws a secret for each store, so two processes fingerprint apart', () => {
    expect(new BodyFingerprint().of(compact)).not.toBe(new BodyFingerprint().of(compact));
    expect(() => new BodyFingerprint(new Uint8Array(8))).toThrow(RangeError);
  });
});
