import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { build, record, testConfig } from './support/helper.js';

/** Sends `fast` at once, then `slow` one byte per `gapMs` until the server closes the socket (bounded). */
async function slowRequest(port: number, fast: string, slow: string, gapMs: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    received += chunk;
  });
  socket.on('error', () => {});
  const done = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('close', () => {
    closed = true;
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(fast);
  let sent = fast.length;
  for (const char of slow) {
    if (closed) break;
    socket.write(char);
    sent++;
    await sleep(gapMs);
  }
  await done;
  return { received, sent, total: fast.length + slow.length };
}

describe('timeouts on a listening server', () => {
  const { app, store } = build({
    config: { ...testConfig, REQUEST_TIMEOUT_MS: 400, HEADERS_TIMEOUT_MS: 300, KEEP_ALIVE_TIMEOUT_MS: 200 },
  });
  let port: number;
  beforeAll(async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(() => app.close());

  const body = JSON.stringify([record()]);
  const head = (length: number) =>
    `POST /flows HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

  test('a body trickling in slower than REQUEST_TIMEOUT_MS is cut off with 408 and nothing applied', async () => {
    // Headers at once, then the body one byte every 50 ms: seconds for all of it, far past the deadline.
    const result = await slowRequest(port, head(body.length), body, 50);
    expect(result.received).toMatch(/^HTTP\/1\.1 408/);
    expect(result.sent).toBeLessThan(result.total);
    expect(await store.flowCount()).toBe(0);
  });

  test('headers trickling in are cut off too', async () => {
    const result = await slowRequest(port, '', head(body.length) + body, 50);
    expect(result.received).toMatch(/^HTTP\/1\.1 408/);
    expect(result.sent).toBeLessThan(result.total);
  });

  test('a request sent at once is served, and the idle keep-alive connection is then closed', async () => {
    const result = await new Promise<{ received: string }>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(head(body.length) + body));
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => {
        received += chunk;
      });
      // Resolves only because the server closes the idle connection after KEEP_ALIVE_TIMEOUT_MS.
      socket.on('close', () => resolve({ received }));
    });
    expect(result.received).toMatch(/^HTTP\/1\.1 200/);
    expect(result.received).toContain('{"accepted":1}');
  });
});
