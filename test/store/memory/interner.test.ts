import { describe, expect, it } from 'vitest';
import { HASH_SEED, hashStep, Interner } from '../../../src/store/memory/interner.js';

function asciiId(names: Interner, text: string): number {
  const bytes = Buffer.from(`xx${text}yy`, 'latin1');
  let hash = HASH_SEED;
  for (let i = 2; i < bytes.length - 2; i++) hash = hashStep(hash, bytes[i]);
  return names.idOfAscii(bytes, 2, bytes.length - 2, hash);
}

describe('Interner', () => {
  it('gives one id per distinct string, found by string or by bytes, through many rehashes', () => {
    const names = new Interner();
    for (let i = 0; i < 5000; i++) {
      const id = i % 2 ? names.id(`name-${i}`) : asciiId(names, `name-${i}`);
      expect(id).toBe(i);
    }
    for (let i = 0; i < 5000; i++) {
      expect(names.id(`name-${i}`)).toBe(i);
      expect(asciiId(names, `name-${i}`)).toBe(i);
      expect(names.string(i)).toBe(`name-${i}`);
    }
    expect(names.size).toBe(5000);
  });

  it('keeps each name as JSON, and never matches escaped or non-ASCII names by bytes', () => {
    const names = new Interner();
    const odd = ['a"b', 'a\\b', 'café', '\ud800', 'plain'];
    for (const name of odd) names.id(name);
    odd.forEach((name, id) => {
      const json = Buffer.from(names.pool.subarray(names.jsonStart[id], names.jsonStart[id + 1])).toString('utf8');
      expect(JSON.parse(json)).toBe(name);
    });
    // The raw bytes a"b (were they ever to reach the byte path) are not the name a"b's JSON form.
    expect(asciiId(names, 'a\\"b')).toBe(odd.length);
    expect(asciiId(names, 'plain')).toBe(4);
  });

  it('forgets the names added after a mark, and finds the older ones still', () => {
    const names = new Interner();
    for (let i = 0; i < 100; i++) names.id(`old-${i}`);
    for (let i = 0; i < 300; i++) asciiId(names, `new-${i}`);
    names.truncate(100);
    expect(names.size).toBe(100);
    for (let i = 0; i < 100; i++) expect(asciiId(names, `old-${i}`)).toBe(i);
    expect(names.id('new-0')).toBe(100);
    expect(names.string(100)).toBe('new-0');
  });
});
