import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../src/schemas/flow.js';
import { record } from '../../support/helper.js';
import { pgApp } from '../../support/pg-app.js';
import { freshDatabase, query } from '../../support/pg-db.js';

type PgApp = Awaited<ReturnType<typeof pgApp>>;
// About 10 MB of answer, more than the kernel buffers on both ends of a loopback socket, so a client that
// stops reading stalls the server between two pages.
const FLOWS = 40_000;
const PAGE = 1000;
const LONG_NAME = 'd'.repeat(150);

/** A raw HTTP GET whose socket the test destroys; resolves once it is closed. */
function abortedGet(port: number, abort: (socket: Socket, received: () => number) => void): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('GET /flows?hour=1 HTTP/1.1\r\nhost: test\r\n\r\n');
      abort(socket, () => received);
    });
    // A server that stopped answering must fail the checks below, not hang the test here.
    const hungUp = setTimeout(() => socket.destroy(), 5_000);
    let received = 0;
    socket.on('data', (chunk) => {
      received += chunk.length;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(hungUp);
      resolve();
    });
  });
}

/** Destroys the socket once `bytes` of the answer have arrived (0: at once, before any). */
const afterBytes = (bytes: number) => (socket: Socket, received: () => number) => {
  if (bytes === 0) return socket.destroy();
  socket.on('data', () => {
    if (received() >= bytes) socket.destroy();
  });
};
/** Destroys the socket `ms` after sending the request, whatever has arrived. */
const afterMs = (ms: number) => (socket: Socket) => setTimeout(() => socket.destroy(), ms);
/**
 * Stops reading once the first bytes are in, so the server's stream stalls on backpressure between two
 * pages with its snapshot open, then hangs up.
 */
const stallThenHangUp = (socket: Socket) => {
  socket.once('data', () => {
    socket.pause();
    setTimeout(() => socket.destroy(), 200);
  });
};

/** This database's service connections that are not idle: one in a transaction holds a snapshot open. */
const busyConnections = (url: string) =>
  query<{ state: string }>(
    url,
    `SELECT state FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = 'flowanalysis' AND state <> 'idle'`,
  );

describe('GET /flows from PostgreSQL when the client hangs up', () => {
  let url: string;
  let svc: PgApp;
  let port: number;

  beforeAll(async () => {
    url = await freshDatabase();
    // Small pages, so an hour is many pages and the hang-ups land before, inside and between them.
    svc = await pgApp(url, { readPageSize: PAGE });
    await svc.app.listen({ port: 0, host: '127.0.0.1' });
    port = (svc.app.server.address() as { port: number }).port;
    for (let i = 0; i < FLOWS; i += 1000) {
      const batch: FlowRecord[] = [];
      for (let j = i; j < i + 1000; j++) {
        batch.push(record({ src_app: `app-${String(j).padStart(5, '0')}`, dest_app: LONG_NAME, bytes_tx: j }));
      }
      expect((await svc.app.inject({ method: 'POST', url: '/flows', payload: batch })).statusCode).toBe(200);
    }
  });
  afterAll(async () => {
    await svc?.app.close();
  });

  it('holds a snapshot open while a reader stalls, and releases it when that reader hangs up', async () => {
    let hangUp = () => {};
    const closed = abortedGet(port, (socket) => {
      socket.once('data', () => socket.pause());
      hangUp = () => socket.destroy();
    });
    await expect.poll(() => busyConnections(url), { timeout: 10_000 }).toEqual([{ state: 'idle in transaction' }]);
    hangUp();
    await closed;
    await expect.poll(() => busyConnections(url), { timeout: 10_000 }).toEqual([]);
  });

  it('releases the connection and its snapshot wherever the answer was cut, and keeps serving', {
    timeout: 120_000,
  }, async () => {
    const aborts = [
      ...[0, 1, 2, 3, 5, 8, 13, 21, 34, 55].map(afterMs),
      ...[0, 1, 200, 5_000, 60_000, 250_000, 1_000_000, 4_000_000].map(afterBytes),
      ...Array.from({ length: 6 }, () => stallThenHangUp),
    ];
    // Twice over, and ten at a time: more hang-ups than the pool has connections.
    const all = [...aborts, ...aborts];
    for (let i = 0; i < all.length; i += 10) {
      await Promise.all(all.slice(i, i + 10).map((abort) => abortedGet(port, abort)));
    }

    // Nothing of this database is left in a transaction, and every pooled connection is back.
    await expect.poll(() => busyConnections(url), { timeout: 10_000, interval: 100 }).toEqual([]);
    await expect.poll(() => svc.pool.idleCount === svc.pool.totalCount, { timeout: 5_000 }).toBe(true);

    // And the service still answers: a write, then the whole hour with it.
    const res = await fetch(`http://127.0.0.1:${port}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([record({ src_app: 'after', bytes_tx: 1 })]),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    const hour = (await (await fetch(`http://127.0.0.1:${port}/flows?hour=1`)).json()) as unknown[];
    expect(hour).toHaveLength(FLOWS + 1);
  });

  describe('a slow reader, with 300 ms database timeouts (an idle transaction is ended after 1.8 s)', () => {
    let impatient: PgApp;
    let base: string;

    beforeAll(async () => {
      impatient = await pgApp(url, { timeoutMs: 300, readPageSize: PAGE });
      base = await impatient.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => {
      await impatient?.app.close();
    });

    /** Reads the first chunk of the answer, stops reading for `ms`, then reads the rest. */
    async function slowRead(ms: number): Promise<string> {
      const res = await fetch(`${base}/flows?hour=1`);
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value, { stream: true });
      await sleep(ms);
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        text += decoder.decode(chunk.value, { stream: true });
      }
      return text;
    }

    it('gets the whole hour after stalling for longer than a statement may take', { timeout: 60_000 }, async () => {
      const flows = JSON.parse(await slowRead(1000)) as unknown[];
      expect(flows).toHaveLength(FLOWS + 1);
    });

    it('gets a cut answer, never one ended as if complete, after stalling past the idle timeout', {
      timeout: 60_000,
    }, async () => {
      const { port: impatientPort } = impatient.app.server.address() as { port: number };
      const answer = await new Promise<string>((resolve) => {
        const chunks: Buffer[] = [];
        const socket = connect(impatientPort, '127.0.0.1', () => {
          socket.write('GET /flows?hour=1 HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n');
        });
        socket.once('data', () => {
          socket.pause();
          setTimeout(() => socket.resume(), 3_000);
        });
        socket.on('data', (chunk) => chunks.push(chunk));
        socket.on('error', () => {});
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      });
      expect(answer.startsWith('HTTP/1.1 200')).toBe(true);
      // Chunked encoding: a complete answer ends with the empty last chunk; this one was cut short.
      expect(answer.endsWith('\r\n0\r\n\r\n')).toBe(false);
      await expect.poll(() => impatient.pool.idleCount === impatient.pool.totalCount, { timeout: 5_000 }).toBe(true);
    });
  });
});
