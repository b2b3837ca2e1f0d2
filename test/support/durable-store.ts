import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import type { StoreBackend } from '../../src/store/flow-store.js';
import { type DurableConfig, openDurableMemory } from '../../src/store/memory/durability/open-durable.js';
import { waitFor } from './load.js';

/** A fresh directory for DATA_DIR under the system's temporary directory (a real disk). */
export const freshDataDir = () => mkdtemp(join(tmpdir(), 'flows-data-'));

/** Log lines of a store under test, kept for assertions. */
export function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** What a durable store under test may be given: its configuration, a logger, retention and bounds. */
export type DurableOptions = Partial<DurableConfig> & { logger?: pino.Logger; bounds?: DurableBounds };
type DurableBounds = Parameters<typeof openDurableMemory>[2];

/** The in-memory store over `dir`, with test-sized snapshot triggers unless given. */
export function openDurable(dir: string, options: DurableOptions = {}): Promise<StoreBackend> {
  const { logger = pino({ level: 'silent' }), bounds, ...config } = options;
  return openDurableMemory(
    {
      DATA_DIR: dir,
      SNAPSHOT_INTERVAL_MS: 3_600_000,
      SNAPSHOT_LOG_BYTES: 2 ** 40,
      IDEMPOTENCY_MAX_KEYS: 1000,
      IDEMPOTENCY_TTL_MS: 3_600_000,
      ...config,
    },
    logger,
    bounds,
  );
}

/**
 * `openDurable` for tests that leave stores open, as a crash would: what a test opened is closed after it,
 * which only releases the files (the test is over).
 */
export function durableStores(): (dir: string, options?: DurableOptions) => Promise<StoreBackend> {
  const opened: StoreBackend[] = [];
  afterEach(async () => {
    for (const backend of opened.splice(0)) await backend.store.close().catch(() => {});
  });
  return async (dir, options) => {
    const backend = await openDurable(dir, options);
    opened.push(backend);
    return backend;
  };
}

/**
 * Waits until the snapshots a store left running are done, as after a crash no process would still
 * delete files: one `.snap`, no `.tmp`, and the newest `snapshot written` line (in `lines`, the store's
 * log) is about that file, so the segments it covers are deleted too.
 */
export async function snapshotsSettled(dir: string, lines: Record<string, unknown>[]): Promise<void> {
  await waitFor(async () => {
    const files = (await readdir(dir)).filter((f) => /\.(snap|tmp)$/.test(f));
    const written = lines.filter((l) => l.msg === 'DATA_DIR: snapshot written').at(-1);
    const lsn = /^snapshot-(\d+)\.snap$/.exec(files.length === 1 ? files[0] : '')?.[1];
    return lsn !== undefined && Number(lsn) === written?.lsn;
  });
}
