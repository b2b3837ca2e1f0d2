import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../../src/schemas/flow.js';
import type { FlowStore } from '../../../../src/store/flow-store.js';
import type { MinuteWindow } from '../../../../src/window/minute-window.js';
import { closeWindow } from '../../../support/close-window.js';
import {
  capturingLogger,
  durableStores,
  freshDataDir,
  openDurable,
  snapshotsSettled,
} from '../../../support/durable-store.js';
import { record, seededRandom } from '../../../support/helper.js';
import { flowStoreContract } from '../../flow-store-contract.js';

flowStoreContract('in-memory store with DATA_DIR', async () => (await openDurable(await freshDataDir())).store);

/** Every hour's flows in one comparable value, plus the flow count. */
async function contents(store: FlowStore, hours: number[]) {
  const byHour: Record<number, string[]> = {};
  for (const hour of hours) byHour[hour] = (await store.flowsForHour(hour)).map((f) => JSON.stringify(f)).sort();
  return { byHour, flows: await store.flowCount() };
}

/** Batches over many hours and names, odd ones included, from a seed. */
function randomBatches(seed: number, count: number): FlowRecord[][] {
  const random = seededRandom(seed);
  const odd = ['café', 'q"uote', 'back\\slash', '\ud800', '😀', '\u2028', 'x'.repeat(256)];
  const name = (prefix: string) => (random(20) === 0 ? odd[random(odd.length)] : `${prefix}-${random(300)}`);
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + random(200) }, () =>
      record({
        src_app: name('app'),
        dest_app: name('svc'),
        vpc_id: `vpc-${random(3)}`,
        bytes_tx: random(1e9),
        bytes_rx: random(1e12),
        hour: 100 + random(6),
      }),
    ),
  );
}
const HOURS = [100, 101, 102, 103, 104, 105];

const open = durableStores();

describe('in-memory store with DATA_DIR: restarts', () => {
  it('after a graceful close holds the same totals, from one snapshot and no log', async () => {
    const dir = await freshDataDir();
    const first = await open(dir);
    for (const batch of randomBatches(1, 30)) await first.store.ingest(batch);
    const before = await contents(first.store, HOURS);
    await first.store.close();
    expect(await readdir(dir)).toEqual([expect.stringMatching(/^snapshot-\d{16}\.snap$/)]);

    const { logger, lines } = capturingLogger();
    const second = await open(dir, { logger });
    expect(await contents(second.store, HOURS)).toEqual(before);
    expect(lines.find((l) => l.msg === 'DATA_DIR: totals recovered')).toMatchObject({ replayedBatches: 0 });
  });

  it('after a crash loads the snapshot and replays the log after it; a second restart gives the same again', async () => {
    const dir = await freshDataDir();
    const [early, late] = [randomBatches(2, 15), randomBatches(3, 15)];
    const first = await open(dir);
    for (const batch of early) await first.store.ingest(batch);
    await first.store.close();
    const second = await open(dir);
    for (const batch of late) await second.store.ingest(batch);
    const before = await contents(second.store, HOURS);
    // No close: as after kill -9, only what each acknowledged ingest put on disk is there.
    const { logger, lines } = capturingLogger();
    const third = await open(dir, { logger });
    expect(await contents(third.store, HOURS)).toEqual(before);
    expect(lines.find((l) => l.msg === 'DATA_DIR: totals recovered')).toMatchObject({
      snapshotLsn: early.length,
      replayedBatches: late.length,
    });
    const fourth = await open(dir);
    expect(await contents(fourth.store, HOURS)).toEqual(before);
  });

  it('snapshots as the log grows, drops the segments a snapshot covers, and recovers snapshot + log exactly', async () => {
    const dir = await freshDataDir();
    const { logger, lines } = capturingLogger();
    const first = await open(dir, { SNAPSHOT_LOG_BYTES: 16 * 1024, logger });
    const batches = randomBatches(3, 120);
    // Concurrent ingests, so batches share group commits and snapshots run while others are applied.
    for (let i = 0; i < batches.length; i += 8)
      await Promise.all(batches.slice(i, i + 8).map((b) => first.store.ingest(b)));
    const before = await contents(first.store, HOURS);
    expect(lines.filter((l) => l.msg === 'DATA_DIR: snapshot written').length).toBeGreaterThanOrEqual(1);
    // The last snapshot may still be finishing: once it has, one snapshot is left, and the log after it.
    const snapshotFiles = async () => (await readdir(dir)).filter((f) => /\.(snap|tmp)$/.test(f));
    await snapshotsSettled(dir, lines);
    expect(await snapshotFiles()).toEqual([expect.stringMatching(/\.snap$/)]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.log')).length).toBeLessThanOrEqual(2);

    const again = capturingLogger();
    const second = await open(dir, { logger: again.logger });
    expect(await contents(second.store, HOURS)).toEqual(before);
    const recovered = again.lines.find((l) => l.msg === 'DATA_DIR: totals recovered');
    expect(recovered?.snapshotLsn).toBeGreaterThan(0);
  });

  it('logs nothing of a batch refused for overflow, nor the names it brought', async () => {
    const dir = await freshDataDir();
    const first = await open(dir);
    await first.store.ingest([record({ bytes_tx: Number.MAX_SAFE_INTEGER })]);
    await expect(first.store.ingest([record({ src_app: 'never' }), record({ bytes_tx: 1 })])).rejects.toThrow(
      /2\^53-1/,
    );
    await first.store.ingest([record({ src_app: 'later', hour: 2 })]);
    const second = await open(dir);
    expect(await second.store.flowsForHour(1)).toEqual([record({ bytes_tx: Number.MAX_SAFE_INTEGER })]);
    expect(await second.store.flowsForHour(2)).toEqual([record({ src_app: 'later', hour: 2 })]);
    expect(await second.store.flowCount()).toBe(2);
  });

  it('takes the JSON fast path, and answers with the count once the batch is on disk', async () => {
    const dir = await freshDataDir();
    const first = await open(dir);
    const accepted = first.store.ingestJson?.(Buffer.from(JSON.stringify([record(), record({ hour: 2 })])), 10);
    expect(accepted).toBeInstanceOf(Promise);
    expect(await accepted).toBe(2);
    const second = await open(dir);
    expect(await second.store.flowCount()).toBe(2);
  });
});

describe('in-memory store with DATA_DIR: Idempotency-Keys and the minute window', () => {
  const ticket = (key: string, expiresAt = Date.now() + 60_000) => ({ key, bodyHash: `hash-${key}`, expiresAt });

  it('keeps each key with its batch across a crash and a graceful restart, and drops expired ones', async () => {
    const dir = await freshDataDir();
    const first = await open(dir);
    await first.store.ingest([record(), record()], { idempotency: ticket('-:one') });
    await first.store.ingest([record({ hour: 2 })], { idempotency: ticket('-:gone', Date.now() + 300) });
    const crashed = await open(dir);
    expect(await crashed.idempotency?.get('-:one')).toEqual({
      bodyHash: 'hash--:one',
      response: { statusCode: 200, payload: '{"accepted":2}' },
    });
    await crashed.store.ingest([], { idempotency: ticket('-:empty') });
    await crashed.store.close();
    await new Promise((resolve) => setTimeout(resolve, 350));
    const restarted = await open(dir);
    expect(await restarted.idempotency?.get('-:one')).toMatchObject({ bodyHash: 'hash--:one' });
    expect(await restarted.idempotency?.get('-:empty')).toMatchObject({ response: { payload: '{"accepted":0}' } });
    expect(await restarted.idempotency?.get('-:gone')).toBeUndefined();
  });

  it('counts a batch in the minute window once it is durable, and nothing on replay', async () => {
    const dir = await freshDataDir();
    const first = await open(dir);
    await first.store.ingest([record(), record(), record({ hour: 2 })]);
    expect(await closeWindow(first.counter as MinuteWindow, 0)).toMatchObject({ unique_flows: 2, records: 3 });
    const second = await open(dir);
    expect(await closeWindow(second.counter as MinuteWindow, 0)).toMatchObject({ unique_flows: 0, records: 0 });
    await second.store.ingest([record({ hour: 2 })]);
    expect(await closeWindow(second.counter as MinuteWindow, 0)).toMatchObject({ unique_flows: 1, records: 1 });
  });
});
