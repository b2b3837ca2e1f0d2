import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryFlowStore } from '../../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../../src/window/minute-window.js';
import { loadingBatches } from '../../../testkit/workload.js';
import { build } from '../../support/helper.js';

// 200k flows make an answer of about 22 MB, past the 8 MiB up to which this store keeps answers whole (32
// MiB in production, which takes twice the flows and time to pass).
const FLOWS = 200_000;

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(20);
}
const HOUR = 7;

describe('large GET /flows answers', () => {
  const store = new MemoryFlowStore(new MinuteWindow(), { maxWholeAnswer: 8 * 1024 * 1024 });
  const { app } = build({ backend: { store } });
  let port: number;
  let expected: string;

  beforeAll(async () => {
    for (const body of loadingBatches(FLOWS, 10_000, HOUR)) store.ingestJson(Buffer.from(body), 10_000);
    expected = JSON.stringify(await store.flowsForHour(HOUR));
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  }, 120_000);
  afterAll(() => app.close());

  it('are streamed whole and exact, with their length', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/flows?hour=${HOUR}`, {
      headers: { 'accept-encoding': 'identity' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-encoding')).toBeNull();
    const text = await res.text();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect(text.length).toBe(expected.length);
    expect(text === expected).toBe(true);
  });

  it('are compressed as they stream when the client asks', async () => {
    // fetch asks for gzip and decompresses what it gets.
    const res = await fetch(`http://127.0.0.1:${port}/flows?hour=${HOUR}`);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toBe('accept-encoding');
    expect((await res.text()) === expected).toBe(true);
  });

  it('clients that never read do not each hold a copy of the answer', async () => {
    const readers = 10;
    const before = process.memoryUsage().arrayBuffers;
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < readers; i++) {
        const socket = connect(port, '127.0.0.1');
        sockets.push(socket);
        await once(socket, 'connect');
        const encoding = i % 2 === 0 ? 'gzip' : 'identity';
        socket.write(`GET /flows?hour=${HOUR} HTTP/1.1\r\nhost: x\r\naccept-encoding: ${encoding}\r\n\r\n`);
        // The first bytes show the answer has started; then the client stops reading.
        await once(socket, 'data');
        socket.pause();
      }
      // Let the server write what the sockets take before it has to wait for the readers.
      await sleep(500);
      const held = process.memoryUsage().arrayBuffers - before;
      // One copy per reader would be 10 x 22 MB. A generous bound, not a measurement.
      expect(held).toBeLessThan(60 * 1024 * 1024);
      // The readers share one snapshot of the hour (32 bytes a flow).
      expect(store.snapshotBytes).toBe(FLOWS * 32);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    // Gone readers release it.
    await waitFor(() => store.snapshotBytes === 0);
  });

  it('a reader sees the hour as it was when its answer started, whatever is written meanwhile', async () => {
    const socket = connect(port, '127.0.0.1');
    try {
      await once(socket, 'connect');
      socket.write(
        `GET /flows?hour=${HOUR} HTTP/1.1\r\nhost: x\r\naccept-encoding: identity\r\nconnection: close\r\n\r\n`,
      );
      const chunks: Buffer[] = [(await once(socket, 'data'))[0] as Buffer];
      socket.pause();
      // A batch that changes the first and the last flow of the hour while the answer is on its way.
      const flows = await store.flowsForHour(HOUR);
      const batch = [flows[0], flows[flows.length - 1]].map((f) => ({ ...f, bytes_tx: 1, bytes_rx: 1 }));
      expect(store.ingestJson(Buffer.from(JSON.stringify(batch)), 10)).toBe(2);
      // A reader that starts now gets the new totals, from a snapshot of its own.
      const after = await (await fetch(`http://127.0.0.1:${port}/flows?hour=${HOUR}`)).json();
      expect(after[0].bytes_tx).toBe(flows[0].bytes_tx + 1);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.resume();
      await once(socket, 'end');
      const response = Buffer.concat(chunks).toString('utf8');
      expect(response.slice(response.indexOf('\r\n\r\n') + 4) === expected).toBe(true);
    } finally {
      socket.destroy();
    }
    expected = JSON.stringify(await store.flowsForHour(HOUR));
  });

  it('a HEAD holds nothing once answered', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/flows?hour=${HOUR}`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    await waitFor(() => store.snapshotBytes === 0);
  });
});
