import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { bodyHash, withoutJsonWhitespace } from '../../src/idempotency/body-hash.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const records = [
  { src_app: 'a b', dest_app: 'say "hi"\\', vpc_id: 'vpc-0', bytes_tx: 1, bytes_rx: 2, hour: 3 },
  { src_app: '\t', dest_app: 'x', vpc_id: 'é', bytes_tx: 0, bytes_rx: 0, hour: 0 },
];

describe('bodyHash', () => {
  test('a compact body is hashed as it is, as JSON.stringify of its parse would be', () => {
    const compact = Buffer.from(JSON.stringify(records));
    expect(withoutJsonWhitespace(compact)).toBe(compact);
    expect(bodyHash(compact)).toBe(sha256(JSON.stringify(records)));
    // No byte at or below a space at all: told before the full pass.
    const noSpace = Buffer.from('[{"src_app":"a","bytes_tx":1}]');
    expect(withoutJsonWhitespace(noSpace)).toBe(noSpace);
    const empty = Buffer.alloc(0);
    expect(withoutJsonWhitespace(empty)).toBe(empty);
    // A raw control byte inside a string (not JSON, refused later) is kept like any string byte.
    const control = Buffer.from('["a\u0001b", 1]');
    expect(withoutJsonWhitespace(control).toString()).toBe('["a\u0001b",1]');
  });

  test('spacing and line breaks between tokens do not change the hash', () => {
    const compact = bodyHash(Buffer.from(JSON.stringify(records)));
    expect(bodyHash(Buffer.from(JSON.stringify(records, null, 2)))).toBe(compact);
    expect(bodyHash(Buffer.from(` \r\n${JSON.stringify(records, null, '\t')}\n`))).toBe(compact);
  });

  test('whitespace inside strings, and escaped quotes before it, are kept', () => {
    const spaced = Buffer.from('[{"src_app": "a b", "dest_app": "\\" c"}]');
    expect(withoutJsonWhitespace(spaced).toString()).toBe('[{"src_app":"a b","dest_app":"\\" c"}]');
    expect(bodyHash(Buffer.from('["a b"]'))).not.toBe(bodyHash(Buffer.from('["ab"]')));
  });

  test('different records have different hashes', () => {
    const other = [{ ...records[0], bytes_tx: 10 }, records[1]];
    expect(bodyHash(Buffer.from(JSON.stringify(other)))).not.toBe(bodyHash(Buffer.from(JSON.stringify(records))));
  });

  test('a body that is not JSON, none at all, or a parsed one', () => {
    expect(bodyHash(Buffer.from('not json'))).toBe(sha256('notjson'));
    expect(bodyHash(undefined)).toBe(sha256(''));
    expect(bodyHash(records)).toBe(sha256(JSON.stringify(records)));
  });
});
