import { loadingBatches, randomBatches } from '../testkit/workload.js';
import { jsonPost, post } from './lib/load.js';
import { type Server, startFloor, startService, stoppedIfFails } from './lib/processes.js';
import { type BenchOptions, cpuNote, isMain, type Row, runMain } from './lib/report.js';
import { type SideBySide, type SideBySideOptions, sideBySide } from './lib/side-by-side.js';

/**
 * (h) The service against the plain Fastify app a user would write for the same API
 * (bench/floor-fastify.ts), requests/s measured side by side (lib/side-by-side.ts): single-record POSTs
 * with the default configuration, with authentication on, with a new Idempotency-Key on every request,
 * and GETs of a small hour. The peer gets the very same requests (it ignores the extra headers). About
 * half of the peer's processes build every `process.nextTick` the slow way for their whole life (the
 * service's start-up loop, src/warm-next-tick.ts, avoids it): one row repeats the new-key comparison
 * against a peer that runs that loop too, and a last row measures the plain peer against a second copy
 * of itself in the service's place: how far from 1.00x that lottery and the method together stray in
 * this run.
 */
const API_KEY = 'bench-key-0123456789abcdef0123456789';
const PEER = 'floor-fastify.ts';
const PEER_NOTE = 'floor: plain Fastify app (its JSON parser and Ajv, a Map of totals)';

export async function run({ seconds, smoke }: BenchOptions): Promise<Row[]> {
  // Each round is one ratio measured over the same seconds on both sides; eight rounds go twice through
  // every order of starting the two (side-by-side.ts), and the lower of the middle two is the row's.
  const rounds = smoke ? 1 : 8;
  const singles = randomBatches(64, 1, 10_000, 1).map(jsonPost);
  const peer = () => startFloor(PEER);
  const measure = (service: () => Promise<Server>, job: SideBySideOptions['job']) =>
    sideBySide({ rounds, seconds, floor: peer, service, job });
  const connections = 32;

  const plain = await measure(startService, () => ({ connections, requests: singles }));
  const authorized = singles.map((r) => ({ ...r, headers: { ...r.headers, authorization: `Bearer ${API_KEY}` } }));
  const withAuth = await measure(
    () => startService({ API_KEYS_INGEST: API_KEY, API_KEYS_QUERY: API_KEY }),
    () => ({ connections, requests: authorized }),
  );
  // A new key each time, in every round: every request is claimed, applied and recorded, none is a replay.
  const newKeys = (round: number) => ({ connections, requests: singles, distinctKeys: `r${round}` });
  const withKey = await measure(startService, newKeys);
  const hour = 7;
  const [tenFlows] = loadingBatches(10, 10, hour);
  const seeded = (start: () => Promise<Server>) => async () => {
    const server = await start();
    await stoppedIfFails(server, post(server.base, tenFlows));
    return server;
  };
  const get = await sideBySide({
    rounds,
    seconds,
    floor: seeded(peer),
    service: seeded(startService),
    job: () => ({ connections, requests: [{ method: 'GET', path: `/flows?hour=${hour}` }] }),
  });
  // The peer's process lottery (RESULTS.md, (h), fourth and ninth sittings) taken out: it runs the
  // service's start-up loop first, so the row compares the code of the two alone.
  const steadyPeer = () => startFloor(PEER, ['./dist/warm-next-tick.js']);
  const withKeySteady = await sideBySide({ rounds, seconds, floor: steadyPeer, service: startService, job: newKeys });
  const sameApp = await measure(peer, () => ({ connections, requests: singles }));

  const row = (label: string, result: SideBySide, target: string, note = PEER_NOTE): Row => ({
    scenario: '(h)',
    measure: label,
    unit: 'requests/s',
    service: result.service,
    floor: result.floor,
    target,
    note: [note, cpuNote(result, 1), spread(result)].filter(Boolean).join('; '),
  });
  return [
    row('single-record POSTs, 32 connections', plain, '>= 1.0'),
    row('single-record POSTs, auth on (one key)', withAuth, '>= 1.0'),
    row('single-record POSTs, a new Idempotency-Key each', withKey, '>= 1.0'),
    row('GET of an hour of 10 flows, 32 connections', get, ''),
    row(
      'single-record POSTs, a new Idempotency-Key each, against the peer with the start-up tick loop',
      withKeySteady,
      '',
      `${PEER_NOTE}, started after dist/warm-next-tick.js`,
    ),
    row(
      'method check: single-record POSTs, the plain Fastify app against a second copy of it',
      sameApp,
      '',
      'both sides: the plain Fastify app, two processes',
    ),
  ];
}

/** The rounds' range of ratios, and in how many the servers had a core of their own. */
function spread({ ratios, pinnedRounds }: SideBySide): string {
  const sorted = [...ratios].sort((a, b) => a - b);
  const range = sorted.length > 1 ? `rounds ${sorted[0].toFixed(2)}x to ${sorted[sorted.length - 1].toFixed(2)}x` : '';
  const pinning = `servers on CPU 1 and load on CPU 0 in ${pinnedRounds} of ${ratios.length} rounds`;
  return [range, pinning].filter(Boolean).join(', ');
}

if (isMain(import.meta.url)) await runMain(run);
