import { connect, type Socket } from 'node:net';
import { warmUpSeconds } from './load.js';

/**
 * Load where every request differs (a new Idempotency-Key each): `connections` keep-alive sockets, one
 * request in flight on each, each request written as one string. autocannon can only vary requests
 * through `setupRequest`, which rebuilds every request in the load generator: on two shared cores
 * that made the generator, not the server, the bottleneck. Fails on any answer other than 200.
 */
export async function loadDistinct(options: {
  url: string;
  connections: number;
  seconds: number;
  /** The whole HTTP/1.1 request, headers and body, for the i-th request of the run. */
  request: (i: number) => string;
}): Promise<{ rate: number; requests: number }> {
  const { hostname, port } = new URL(options.url);
  let next = 0;
  let counting = false;
  let counted = 0;
  let running = true;
  const sockets = await Promise.all(Array.from({ length: options.connections }, () => open(hostname, Number(port))));
  const done = sockets.map(
    (socket) =>
      new Promise<void>((resolve, reject) => {
        let buffered = '';
        const send = () => (running ? socket.write(options.request(next++)) : resolve());
        socket.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('latin1');
          try {
            for (let end = answerEnd(buffered); end > 0; end = answerEnd(buffered)) {
              if (!buffered.startsWith('HTTP/1.1 200 ')) throw new Error(buffered.split('\r\n')[0]);
              buffered = buffered.slice(end);
              if (counting) counted++;
              send();
            }
          } catch (err) {
            reject(err);
          }
        });
        socket.on('error', reject);
        send();
      }),
  );
  await sleep(warmUpSeconds(options.seconds) * 1000);
  counting = true;
  await sleep(options.seconds * 1000);
  counting = false;
  const requests = counted;
  running = false;
  await Promise.all(done);
  for (const socket of sockets) socket.destroy();
  return { rate: requests / options.seconds, requests };
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Where the first complete answer in `text` ends (its Content-Length body included), or 0. */
function answerEnd(text: string): number {
  const head = text.indexOf('\r\n\r\n');
  if (head < 0) return 0;
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, head));
  if (!length) throw new Error(`an answer without Content-Length: ${text.slice(0, head)}`);
  const end = head + 4 + Number(length[1]);
  return text.length >= end ? end : 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
