import { Socket } from 'node:net';
import { describe, expect, test } from 'vitest';
import type { Caller } from '../../src/auth/api-keys.js';
import { LastKeyByConnection } from '../../src/auth/last-key.js';

const caller: Caller = { id: 'abc', scopes: new Set(['ingest']) };
const header = 'Bearer key-0123456789abcdef';

describe('LastKeyByConnection', () => {
  test('a connection presenting the header it presented last is recognised', () => {
    const keys = new LastKeyByConnection();
    const socket = new Socket();
    expect(keys.recall(socket, header)).toBeUndefined();
    keys.remember(socket, header, caller);
    expect(keys.recall(socket, header)).toBe(caller);
  });

  test('any other header is not: longer, shorter, one byte off, or with trailing zero bytes', () => {
    const keys = new LastKeyByConnection();
    const socket = new Socket();
    keys.remember(socket, header, caller);
    for (const other of [`${header}0`, header.slice(0, -1), `${header.slice(0, -1)}g`, `${header}\u0000`, '']) {
      expect(keys.recall(socket, other), JSON.stringify(other)).toBeUndefined();
    }
  });

  test('it is per connection, and a connection remembers only its last header', () => {
    const keys = new LastKeyByConnection();
    const [a, b] = [new Socket(), new Socket()];
    keys.remember(a, header, caller);
    expect(keys.recall(b, header)).toBeUndefined();
    const second: Caller = { id: 'def', scopes: new Set(['query']) };
    keys.remember(a, 'Bearer another-key-0123456789', second);
    expect(keys.recall(a, 'Bearer another-key-0123456789')).toBe(second);
    expect(keys.recall(a, header)).toBeUndefined();
  });

  test('a header longer than the slot is never remembered (it is hashed every time)', () => {
    const keys = new LastKeyByConnection();
    const socket = new Socket();
    const long = `Bearer ${'k'.repeat(300)}`;
    keys.remember(socket, long, caller);
    expect(keys.recall(socket, long)).toBeUndefined();
  });
});
