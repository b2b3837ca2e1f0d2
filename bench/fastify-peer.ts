import type { Request } from 'autocannon';
import { loadingBatches, randomBatches } from '../testkit/workload.js';
import { type Alternated, alternate, cpuNote } from './ingest-batches.js';
import { loadDistinct } from './lib/distinct-load.js';
import { jsonPost, load, post } from './lib/load.js';
import { type BenchOptions, isMain, type Row, runMain } from './lib/report.js';

/**
 * (h) The service against the plain Fastify app a user would write for the same API
 * (bench/floor-fastify.ts), requests/s in the same run: single-record POSTs with the default
 * configuration, with authentication on, with a new Idempotency-Key on every request, and GETs of a
 * small hour. The peer gets the very same requests (it ignores the extra headers).
 */
const API_KEY = 'bench-key-0123456789abcdef0123456789';
const PEER = 'floor-fastify.ts';
const PEER_NOTE = 'floor: plain Fastify app (its JSON parser and Ajv, a Map of totals)';

export async function run({ seconds, smoke }: BenchOptions): Promise<Row[]> {
  // Six rounds: on a machine whose speed moves by a third from one turn to the next (RESULTS.md, (h), sixth
  // sitting), each side's best is the more likely a turn at full speed the more turns it gets; with four, a
  // row of unchanged code still moved from 0.89x to 1.43x between runs (seventh sitting).
  const rounds = smoke ? 1 : 6;
  const bodies = randomBatches(64, 1, 10_000, 1);
  const singles = bodies.map(jsonPost);
  const rate = (requests: Request[], seed?: string) => async (base: string, onMeasure: () => void) => {
    if (seed !== undefined) await post(base, seed);
    const result = await load({ url: base, connections: 32, seconds, requests, onMeasure });
    return { rate: result.requests.mean, requests: result.requests.total };
  };

  const plain = await alternate(rounds, PEER, rate(singles));
  const authorized = singles.map((r) => ({ ...r, headers: { ...r.headers, authorization: `Bearer ${API_KEY}` } }));
  const withAuth = await alternate(rounds, PEER, rate(authorized), {
    API_KEYS_INGEST: API_KEY,
    API_KEYS_QUERY: API_KEY,
  });
  // A new key each time, in every run: every request is claimed, applied and recorded, none is a replay.
  let runs = 0;
  const withKey = await alternate(rounds, PEER, (base, onMeasure) => {
    const run = runs++;
    const request = (i: number) => {
      const body = bodies[i % bodies.length];
      return `POST /flows HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nIdempotency-Key: r${run}-${i}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    };
    return loadDistinct({ url: base, connections: 32, seconds, request, onMeasure });
  });
  const hour = 7;
  const [tenFlows] = loadingBatches(10, 10, hour);
  const get = await alternate(rounds, PEER, rate([{ method: 'GET', path: `/flows?hour=${hour}` }], tenFlows));

  const row = (measure: string, best: Alternated, target: string): Row => ({
    scenario: '(h)',
    measure,
    unit: 'requests/s',
    service: best.service,
    floor: best.floor,
    target,
    note: `${PEER_NOTE}; ${cpuNote(best, 1)}`,
  });
  return [
    row('single-record POSTs, 32 connections', plain, '>= 1.0'),
    row('single-record POSTs, auth on (one key)', withAuth, '>= 1.0'),
    row('single-record POSTs, a new Idempotency-Key each', withKey, '>= 1.0'),
    row('GET of an hour of 10 flows, 32 connections', get, ''),
  ];
}

if (isMain(import.meta.url)) await runMain(run);
