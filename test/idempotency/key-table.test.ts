import { describe, expect, it } from 'vitest';
import { KeyTable } from '../../src/idempotency/key-table.js';
import { seededRandom } from '../support/helper.js';

/** A body fingerprint (four UTF-16 code units) for each n, lone surrogates and the top unit included. */
const fingerprintOf = (n: number) => String.fromCharCode(n & 0xffff, 0xffff - (n & 0xffff), 0xd800 + (n % 3), n >>> 16);
const FAR = Number.MAX_SAFE_INTEGER;

/** What the table must do, written the obvious way: a Map, and the keys in the order they came. */
class Reference {
  readonly held = new Map<string, { fingerprint: string; accepted: number }>();
  readonly order: string[] = [];
  constructor(private readonly capacity: number) {}
  set(key: string, fingerprint: string, accepted: number) {
    if (!this.held.has(key)) {
      if (this.order.length === this.capacity) this.held.delete(this.order.shift() as string);
      this.order.push(key);
    }
    this.held.set(key, { fingerprint, accepted });
  }
}

describe('KeyTable', () => {
  it('holds a key with its body fingerprint and count until it expires', () => {
    const table = new KeyTable(10);
    expect(table.get('a', 0)).toBeUndefined();
    table.set('a', fingerprintOf(1), 3, 1000, 0);
    expect(table.get('a', 999)).toEqual({ fingerprint: fingerprintOf(1), accepted: 3 });
    expect(table.get('a', 1000)).toBeUndefined();
    expect(table.get('b', 0)).toBeUndefined();
    table.set('a', fingerprintOf(2), 4, 2000, 500);
    expect(table.get('a', 1500)).toEqual({ fingerprint: fingerprintOf(2), accepted: 4 });
    expect(table.size).toBe(1);
  });

  it('tells apart keys that differ in one character, or only in case', () => {
    const table = new KeyTable(10);
    table.set('key-a', fingerprintOf(1), 1, FAR, 0);
    table.set('key-A', fingerprintOf(2), 2, FAR, 0);
    expect(table.get('key-a', 0)?.accepted).toBe(1);
    expect(table.get('key-A', 0)?.accepted).toBe(2);
    expect(table.get('key-b', 0)).toBeUndefined();
  });

  it('records a key under its own digest whatever was looked up last', () => {
    const table = new KeyTable(10);
    // Another key looked up between a key's lookup and its record (a store that waited in between).
    expect(table.get('key-1', 0)).toBeUndefined();
    expect(table.get('key-2', 0)).toBeUndefined();
    table.set('key-1', fingerprintOf(1), 1, FAR, 0);
    expect(table.get('key-1', 0)?.accepted).toBe(1);
    expect(table.get('key-2', 0)).toBeUndefined();
    // The same text as another string object (built, not a literal) is the same key.
    table.set(['key', '2'].join('-'), fingerprintOf(2), 2, FAR, 0);
    expect(table.get('key-2', 0)?.accepted).toBe(2);
    expect(table.size).toBe(2);
  });

  it('past its capacity forgets the oldest key first; a repeat does not renew a key', () => {
    const table = new KeyTable(3);
    for (const key of ['a', 'b', 'c']) table.set(key, fingerprintOf(1), 1, FAR, 0);
    table.set('a', fingerprintOf(2), 2, FAR, 0);
    table.set('d', fingerprintOf(1), 1, FAR, 0);
    expect(['a', 'b', 'c', 'd'].map((key) => table.get(key, 0) !== undefined)).toEqual([false, true, true, true]);
    expect(table.size).toBe(3);
  });

  it('gives a key reused after it expired the newest place, so the next new key does not push it out', () => {
    for (const [first, middle, last] of [
      ['a', 'b', 'c'],
      ['b', 'a', 'c'],
    ]) {
      const table = new KeyTable(3);
      for (const key of [first, middle, last]) table.set(key, fingerprintOf(1), 1, key === 'a' ? 10 : FAR, 0);
      table.set('a', fingerprintOf(2), 2, FAR, 20);
      table.set('d', fingerprintOf(3), 3, FAR, 20);
      expect(table.get('a', 20), `a placed ${first === 'a' ? 'oldest' : 'in the middle'}`).toEqual({
        fingerprint: fingerprintOf(2),
        accepted: 2,
      });
      expect(table.get('d', 20)).toEqual({ fingerprint: fingerprintOf(3), accepted: 3 });
      expect(table.get(last, 20)).toBeDefined();
    }
    // Emptied places are skipped when the table grows.
    const growing = new KeyTable(5000);
    for (let i = 0; i < 1000; i++) growing.set(`k${i}`, fingerprintOf(i), i, 10, 0);
    for (let i = 0; i < 1000; i++) growing.set(`k${i}`, fingerprintOf(i), i + 1, FAR, 20);
    for (let i = 0; i < 1000; i++) expect(growing.get(`k${i}`, 20)?.accepted).toBe(i + 1);
  });

  it('refuses a capacity under one key, and a fingerprint of another length', () => {
    expect(() => new KeyTable(0)).toThrow(RangeError);
    expect(() => new KeyTable(1).set('a', 'ab'.repeat(32), 1, FAR, 0)).toThrow(RangeError);
  });

  // Small key spaces make overwrites and evictions collide in the index: every probe and backward shift is hit.
  for (const [capacity, keySpace] of [
    [50, 120],
    [700, 2000],
    [5000, 12_000],
  ]) {
    it(`agrees with the obvious Map over 40,000 random writes (capacity ${capacity}, ${keySpace} keys)`, () => {
      const random = seededRandom(capacity);
      const table = new KeyTable(capacity);
      const reference = new Reference(capacity);
      for (let i = 0; i < 40_000; i++) {
        const key = `tenant:${random(keySpace)}`;
        table.set(key, fingerprintOf(i), i, FAR, 0);
        reference.set(key, fingerprintOf(i), i);
        if (i % 9973 === 0) {
          for (let k = 0; k < keySpace; k++) {
            expect(table.get(`tenant:${k}`, 0)).toEqual(reference.held.get(`tenant:${k}`));
          }
        }
      }
      expect(table.size).toBe(reference.held.size);
      for (let k = 0; k < keySpace; k++) expect(table.get(`tenant:${k}`, 0)).toEqual(reference.held.get(`tenant:${k}`));
    });
  }
});
