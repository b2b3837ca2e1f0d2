import Fastify from 'fastify';
import { FlowsQuery, type FlowTotal, FlowTotal as FlowTotalSchema, flowBatch } from '../src/schemas/flow.js';

/**
 * Fastify peer: the plain Fastify 5 app a user would write for the same API in twenty lines. Fastify's
 * defaults (its JSON parser, Ajv for the same record schema, fast-json-stringify for the answer), a Map
 * of totals per hour, nothing else: no logger, no hooks, no plugins.
 */
const hours = new Map<number, Map<string, FlowTotal>>();
const app = Fastify();

app.post('/flows', { schema: { body: flowBatch(10_000) } }, async (request) => {
  for (const r of request.body as FlowTotal[]) {
    let flows = hours.get(r.hour);
    if (!flows) {
      flows = new Map();
      hours.set(r.hour, flows);
    }
    const key = `${r.src_app}|${r.dest_app}|${r.vpc_id}`;
    const total = flows.get(key);
    if (total) {
      total.bytes_tx += r.bytes_tx;
      total.bytes_rx += r.bytes_rx;
    } else flows.set(key, { ...r });
  }
  return { accepted: (request.body as FlowTotal[]).length };
});

app.get(
  '/flows',
  { schema: { querystring: FlowsQuery, response: { 200: { type: 'array', items: FlowTotalSchema } } } },
  async (request) => [...(hours.get((request.query as { hour: number }).hour)?.values() ?? [])],
);

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write('listening\n');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
