import { describe, expect, it } from 'vitest';
import type { MinuteCount } from '../../src/counts/minute-count.js';
import type { CommitStats } from '../../src/store/flow-store.js';
import { defaultBounds } from '../../src/store/memory/capacity.js';
import { openStore } from '../../src/store/open-store.js';
import type { WindowCounter } from '../../src/window/window-counter.js';
import { record, silentLogger, testConfig } from '../support/helper.js';
import { freshDatabase } from '../support/pg-db.js';

/** Closes the counter's window and returns what it published. */
async function countOf(counter: WindowCounter) {
  const counts: MinuteCount[] = [];
  await counter.rotate({ start: 0, end: 60_000, partial: false }, async (count) => {
    counts.push(count);
  });
  return counts;
}

describe('openStore', () => {
  it('opens the in-memory store with the minute window it records into, and nothing else', async () => {
    const backend = await openStore({ ...testConfig, INMEMORY: true }, silentLogger);
    await backend.store.ingest([record(), record({ hour: 2 })]);
    expect(await countOf(backend.counter)).toMatchObject([{ unique_flows: 2, records: 2 }]);
    expect(backend.idempotency).toBeUndefined();
    expect(backend.observeCommits).toBeUndefined();
    expect(backend.store.ingestJson).toBeTypeOf('function');
    await backend.store.close();
  });

  it('bounds the in-memory store by default from the heap limit, or as configured, and sets its retention', async () => {
    const derived = await openStore({ ...testConfig, INMEMORY: true }, silentLogger);
    const { maxFlows, maxNameBytes } = defaultBounds();
    expect(derived.limits?.limits()).toEqual({
      capacity: expect.objectContaining({ state: 'ok', max_flows: maxFlows, max_name_bytes: maxNameBytes }),
      retention: undefined,
    });
    const set = await openStore(
      { ...testConfig, INMEMORY: true, MAX_FLOWS: 5, MAX_NAME_BYTES: 4096, RETENTION_HOURS: 3 },
      silentLogger,
    );
    expect(set.limits?.limits()).toMatchObject({
      capacity: { max_flows: 5, max_name_bytes: 4096 },
      retention: { retention_hours: 3 },
    });
  });

  it('opens the PostgreSQL backend with its schema, keys, commit reports and cluster counter', async () => {
    const config = { ...testConfig, INMEMORY: false, DATABASE_URL: await freshDatabase(), PG_POOL_SIZE: 2 };
    const backend = await openStore(config, silentLogger);
    try {
      const commits: CommitStats[] = [];
      backend.observeCommits?.((commit) => commits.push(commit));
      const ticket = { key: '-:open-store', bodyHash: 'h', expiresAt: Date.now() + 60_000 };
      await backend.store.ingest([record()], { idempotency: ticket });
      expect(commits).toMatchObject([{ batches: 1, records: 1 }]);
      expect(await backend.idempotency?.get('-:open-store')).toMatchObject({ bodyHash: 'h' });
      expect(await backend.store.flowsForHour(1)).toEqual([record()]);
      expect(backend.store.streamFlowsForHour).toBeTypeOf('function');
      // Shutdown leaves the open window in the database for the other instances: nothing to publish.
      const counts: MinuteCount[] = [];
      await backend.counter.rotate({ start: 0, end: 1, partial: true }, async (count) => {
        counts.push(count);
      });
      expect(counts).toEqual([]);
    } finally {
      await backend.store.close();
    }
  });
});
