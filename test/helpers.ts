import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import type { FlowRecord } from '../src/schemas/flow.js';
import { MemoryFlowStore } from '../src/store/memory.js';
import { MinuteWindow } from '../src/window/minute-window.js';

export const silentLogger = pino({ level: 'silent' });

export const testConfig = { BODY_LIMIT: 1024 * 1024, MAX_BATCH_RECORDS: 1000 };

/** An app over a fresh in-memory store, driven with app.inject. */
export function memoryApp() {
  const window = new MinuteWindow(0);
  const store = new MemoryFlowStore(window);
  const app = buildApp({ config: testConfig, store, logger: silentLogger });
  return { app, store, window };
}

export function record(overrides: Partial<FlowRecord> = {}): FlowRecord {
  return { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', bytes_tx: 100, bytes_rx: 500, hour: 1, ...overrides };
}

/** A small deterministic generator (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * below;
  };
}
