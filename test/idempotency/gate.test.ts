import { describe, expect, onTestFinished, test, vi } from 'vitest';
import { IdempotencyKeyInvalidError, IdempotencyMismatchError } from '../../src/errors.js';
import { bodyHash } from '../../src/idempotency/body-hash.js';
import { IdempotencyGate, Replay } from '../../src/idempotency/gate.js';
import type { IdempotencyStore, IdempotencyTicket } from '../../src/idempotency/idempotency-store.js';
import { MemoryIdempotencyStore } from '../../src/idempotency/memory.js';

const DAY_MS = 86_400_000;
const responseOf = (payload: string) => ({ statusCode: 200, payload });
/** Body fingerprints as MemoryIdempotencyStore.bodyHash gives them: four UTF-16 code units. */
const H1 = '1111';
const H2 = '2222';

/** The in-memory store behind promises, as a database's store answers. */
function answeringLater(store: IdempotencyStore): IdempotencyStore {
  return {
    bodyHash: (body) => store.bodyHash(body),
    get: async (key, now) => store.get(key, now),
    put: async (ticket, outcome, now) => store.put(ticket, outcome, now),
  };
}

describe('IdempotencyGate', () => {
  test('a key is printable ASCII of 1 to 255 characters without spaces at the ends, scoped to the caller', () => {
    const gate = new IdempotencyGate(new MemoryIdempotencyStore(10), DAY_MS);
    for (const good of ['a', '~', 'x'.repeat(255), 'in side', '0f3c-UUID_like.key', '!"#$%&()*+,/:;<=>?@[\\]^`{|}']) {
      expect(gate.keyOf(good, null)).toBe(`-:${good}`);
      expect(gate.keyOf(good, 'k1')).toBe(`k1:${good}`);
    }
    const bad = ['', ' ', ' a', 'a ', 'x'.repeat(256), 'tab\tin', 'a\x7f', 'a\x1f', 'é', 'a\u2028b', '\0'];
    for (const key of [...bad, ['a', 'b']]) {
      expect(() => gate.keyOf(key, null), JSON.stringify(key)).toThrow(IdempotencyKeyInvalidError);
    }
    // The same as the regular expression it replaced, on random strings around its edges.
    const pattern = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;
    const chars = [0x00, 0x1f, 0x20, 0x21, 0x41, 0x7e, 0x7f, 0xe9];
    for (let i = 0; i < 2000; i++) {
      const length = [0, 1, 2, 3, 254, 255, 256][i % 7];
      const key = String.fromCharCode(...Array.from({ length }, () => chars[Math.floor(Math.random() * chars.length)]));
      const printable = key.replace(/[^\x21-\x7e]/g, (c) => (Math.random() < 0.9 ? 'k' : c));
      for (const candidate of [key, printable]) {
        const accepted = (() => {
          try {
            gate.keyOf(candidate, null);
            return true;
          } catch {
            return false;
          }
        })();
        expect(accepted, JSON.stringify(candidate)).toBe(pattern.test(candidate));
      }
    }
  });

  test('tells bodies apart as its store does', () => {
    const body = Buffer.from('[{"src_app":"a"}]');
    expect(new IdempotencyGate(new MemoryIdempotencyStore(10), DAY_MS).bodyHashOf(body)).toHaveLength(4);
    const shared: IdempotencyStore = { bodyHash, get: () => undefined, put: () => undefined };
    expect(new IdempotencyGate(shared, DAY_MS).bodyHashOf(body)).toBe(bodyHash(body));
    expect(bodyHash(body)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('with the in-memory store a new key is applied and recorded synchronously; a repeat is replayed', () => {
    const gate = new IdempotencyGate(new MemoryIdempotencyStore(10), DAY_MS);
    const tickets: IdempotencyTicket[] = [];
    const work = (ticket: IdempotencyTicket) => {
      tickets.push(ticket);
      return '{"accepted":2}';
    };
    expect(gate.serve('-:a', H1, work, responseOf)).toBe('{"accepted":2}');
    expect(tickets).toEqual([{ key: '-:a', bodyHash: H1, expiresAt: expect.any(Number) }]);
    const repeat = gate.serve('-:a', H1, work, responseOf);
    expect(repeat).toEqual(new Replay({ statusCode: 200, payload: '{"accepted":2}' }));
    expect(tickets).toHaveLength(1);
    expect(() => gate.serve('-:a', H2, work, responseOf)).toThrow(IdempotencyMismatchError);
  });

  test('work that throws keeps nothing: the retry runs', () => {
    const gate = new IdempotencyGate(new MemoryIdempotencyStore(10), DAY_MS);
    expect(() =>
      gate.serve(
        '-:a',
        H1,
        () => {
          throw new Error('refused');
        },
        responseOf,
      ),
    ).toThrow('refused');
    expect(gate.serve('-:a', H1, () => '{"accepted":1}', responseOf)).toBe('{"accepted":1}');
  });

  test('a repeat of a request still running waits for it and gets its response; another body is a mismatch', async () => {
    const gate = new IdempotencyGate(new MemoryIdempotencyStore(10), DAY_MS);
    let finish!: () => void;
    let runs = 0;
    const slow = () => {
      runs++;
      return new Promise<string>((resolve) => {
        finish = () => resolve('{"accepted":3}');
      });
    };
    const first = gate.serve('-:a', H1, slow, responseOf);
    const repeat = gate.serve('-:a', H1, slow, responseOf);
    expect(() => gate.serve('-:a', H2, slow, responseOf)).toThrow(IdempotencyMismatchError);
    finish();
    expect(await first).toBe('{"accepted":3}');
    expect(await repeat).toEqual(new Replay({ statusCode: 200, payload: '{"accepted":3}' }));
    expect(runs).toBe(1);
  });

  test('a repeat waiting on a request that fails runs the request itself', async () => {
    const gate = new IdempotencyGate(new MemoryIdempotencyStore(10), DAY_MS);
    let fail!: () => void;
    const first = gate.serve(
      '-:a',
      H1,
      () =>
        new Promise<string>((_, reject) => {
          fail = () => reject(new Error('store down'));
        }),
      responseOf,
    );
    const repeat = gate.serve('-:a', H1, async () => '{"accepted":1}', responseOf);
    fail();
    await expect(first).rejects.toThrow('store down');
    expect(await repeat).toBe('{"accepted":1}');
  });

  test('work done at once but recorded later: a repeat meanwhile waits for the record, and gets it', async () => {
    const held = new MemoryIdempotencyStore(10);
    let recorded!: () => void;
    const recordingLater: IdempotencyStore = {
      bodyHash: (body) => held.bodyHash(body),
      get: (key) => held.get(key),
      put: (ticket, outcome) =>
        new Promise<void>((resolve) => {
          recorded = () => resolve(held.put(ticket, outcome));
        }),
    };
    const gate = new IdempotencyGate(recordingLater, DAY_MS);
    let runs = 0;
    const work = () => {
      runs++;
      return '{"accepted":4}';
    };
    const first = gate.serve('-:a', H1, work, responseOf);
    const repeat = gate.serve('-:a', H1, work, responseOf);
    expect(first).toBeInstanceOf(Promise);
    recorded();
    expect(await first).toBe('{"accepted":4}');
    expect(await repeat).toEqual(new Replay({ statusCode: 200, payload: '{"accepted":4}' }));
    expect(runs).toBe(1);
  });

  test('a record that fails, or a response that cannot be read, releases the key: each waiter runs in turn', async () => {
    let recordsToFail = 1;
    const held = new MemoryIdempotencyStore(10);
    const flaky: IdempotencyStore = {
      bodyHash: (body) => held.bodyHash(body),
      get: (key) => held.get(key),
      put: async (ticket, outcome) => {
        if (recordsToFail-- > 0) throw new Error('disk full');
        held.put(ticket, outcome);
      },
    };
    const gate = new IdempotencyGate(flaky, DAY_MS);
    let runs = 0;
    const work = async () => {
      runs++;
      return '{"accepted":1}';
    };
    const unreadable = () => {
      throw new Error('no response to keep');
    };
    const first = gate.serve('-:a', H1, work, responseOf);
    const second = gate.serve('-:a', H1, work, unreadable);
    const third = gate.serve('-:a', H1, work, responseOf);
    await expect(first).rejects.toThrow('disk full');
    await expect(second).rejects.toThrow('no response to keep');
    expect(await third).toBe('{"accepted":1}');
    expect(runs).toBe(3);
    // Nothing is left held: a later request with the key is replayed at once.
    expect(gate.serve('-:a', H1, work, responseOf)).toEqual(new Replay({ statusCode: 200, payload: '{"accepted":1}' }));
  });

  // Both lookups answer in the same turn here. A database read that misses a first request's commit is
  // refused by the database store itself (a unique key: IdempotencyInFlightError, 409), not by the gate.
  test('with a store that answers later, two requests with one key apply it once', async () => {
    const gate = new IdempotencyGate(answeringLater(new MemoryIdempotencyStore(10)), DAY_MS);
    let runs = 0;
    const work = async () => {
      runs++;
      return '{"accepted":1}';
    };
    const [first, second] = await Promise.all([
      gate.serve('-:a', H1, work, responseOf),
      gate.serve('-:a', H1, work, responseOf),
    ]);
    expect(runs).toBe(1);
    expect([first, second]).toContainEqual('{"accepted":1}');
    expect([first, second]).toContainEqual(new Replay({ statusCode: 200, payload: '{"accepted":1}' }));
  });

  test('the store gets the time the request was looked up at; after work that waited, the time it is recorded at', async () => {
    const times: { get: number[]; put: number[]; expiresAt: number[] } = { get: [], put: [], expiresAt: [] };
    const held = new MemoryIdempotencyStore(10);
    const gate = new IdempotencyGate(
      {
        bodyHash: (body) => held.bodyHash(body),
        get: (key, now = Number.NaN) => {
          times.get.push(now);
          return held.get(key, now);
        },
        put: (ticket, outcome, now = Number.NaN) => {
          times.put.push(now);
          times.expiresAt.push(ticket.expiresAt);
          held.put(ticket, outcome, now);
        },
      },
      DAY_MS,
    );
    // A clock that moves at every reading: a second reading for one request would show.
    let clock = 1_000_000;
    const reading = vi.spyOn(Date, 'now').mockImplementation(() => clock++);
    onTestFinished(() => reading.mockRestore());
    const before = clock;
    gate.serve('-:at-once', H1, () => '{"accepted":1}', responseOf);
    expect(times.get[0]).toBeGreaterThanOrEqual(before);
    expect(times.put[0]).toBe(times.get[0]);
    expect(times.expiresAt[0]).toBe(times.get[0] + DAY_MS);

    await gate.serve(
      '-:later',
      H1,
      () => new Promise<string>((resolve) => setTimeout(() => resolve('{"accepted":1}'), 20)),
      responseOf,
    );
    expect(times.put[1]).toBeGreaterThan(times.get[1]);
    expect(times.expiresAt[1]).toBe(times.get[1] + DAY_MS);
    expect(gate.serve('-:later', H1, () => 'not run', responseOf)).toEqual(new Replay(responseOf('{"accepted":1}')));
  });
});
