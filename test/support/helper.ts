import { pino } from 'pino';
import { type AppDeps, buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { FlowRecord } from '../../src/schemas/flow.js';
import { MemoryFlowStore } from '../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../src/window/minute-window.js';

export const silentLogger = pino({ level: 'silent' });

/**
 * Production defaults, except smaller limits and no load shedding: a test machine shared with other
 * builds can stall for a second, and that must not turn into a 503 in an unrelated test.
 */
export const testConfig = {
  ...loadConfig({}),
  BODY_LIMIT: 1024 * 1024,
  MAX_BATCH_RECORDS: 1000,
  SHED_MAX_EVENT_LOOP_DELAY_MS: 0,
};

/** The app over `deps.backend` (by default a fresh in-memory store), driven with app.inject or on port 0. */
export function build(deps: Partial<Omit<AppDeps, 'logger'>> = {}) {
  const backend = deps.backend ?? { store: new MemoryFlowStore(new MinuteWindow()) };
  const app = buildApp({ config: testConfig, logger: silentLogger, ...deps, backend });
  return { app, store: backend.store };
}

export function record(overrides: Partial<FlowRecord> = {}): FlowRecord {
  return { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', bytes_tx: 100, bytes_rx: 500, hour: 1, ...overrides };
}

/** A seeded generator (mulberry32), so a failing run can be replayed; the benchmarks use the same one. */
export { random as seededRandom } from '../../testkit/workload.js';
