import { createServer } from 'node:http';

/**
 * Ingest floor: the least a server can do for POST /flows. A bare node:http server that reads the
 * body, JSON.parses it and adds each record into a Map<hour, Map<string, {tx, rx}>> keyed by the
 * concatenated names. No validation, no atomicity, no framework.
 */
interface Record {
  src_app: string;
  dest_app: string;
  vpc_id: string;
  bytes_tx: number;
  bytes_rx: number;
  hour: number;
}

const hours = new Map<number, Map<string, { tx: number; rx: number }>>();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const records = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record[];
    for (const r of records) {
      let flows = hours.get(r.hour);
      if (!flows) {
        flows = new Map();
        hours.set(r.hour, flows);
      }
      const key = `${r.src_app}|${r.dest_app}|${r.vpc_id}`;
      const totals = flows.get(key);
      if (totals) {
        totals.tx += r.bytes_tx;
        totals.rx += r.bytes_rx;
      } else flows.set(key, { tx: r.bytes_tx, rx: r.bytes_rx });
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"accepted":${records.length}}`);
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
