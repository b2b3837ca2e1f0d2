import type { ColumnarBatch } from '../columnar-batch.js';
import { type HourTable, TOTAL_DOUBLES, TX } from '../hour-table.js';
import type { Hours } from '../hours.js';
import type { Interner } from '../interner.js';
import { loggedBatches, renumbered } from './batch-codec.js';
import type { DurableKeys } from './durable-keys.js';
import { readFrameHeader } from './log-frame.js';
import { LogBrokenError } from './log-writer.js';
import type { PendingGroup } from './pending-group.js';

/**
 * Takes the batches of `groups` (every batch not yet durable, oldest group first) back out of memory, to
 * what it was before the first of them: the hours they dropped come back, then their totals are taken
 * back, then the flows and hours they created, their names (unless name compaction ran since: those wait
 * for the next one) and their Idempotency-Keys. `names` is the store's interner now.
 */
export function takeBack(groups: PendingGroup[], hours: Hours, names: Interner, keys: DurableKeys): void {
  // Put back first: the batches' totals are taken back from those hours too.
  for (const group of groups) hours.putBack(group.dropped);
  // Each table's flow count before the oldest group that touched it.
  const touched = new Map<HourTable, number>();
  for (const group of groups) {
    for (const [table, count] of group.touched) if (!touched.has(table)) touched.set(table, count);
  }
  for (const batch of batchesOf(groups, names)) subtract(batch, hours, touched);
  hours.truncateTo(touched);
  if (names === groups[0].names) names.truncate(groups[0].namesSize);
  for (const group of groups) for (const key of group.keys) keys.forget(key);
}

/** Subtracts the batch's records from the flows that existed before (the others go with truncateTo). */
function subtract(batch: ColumnarBatch, hours: Hours, touched: Map<HourTable, number>): void {
  for (let i = 0; i < batch.length; i++) {
    const table = hours.get(batch.hour[i]);
    const before = table === undefined ? undefined : touched.get(table);
    if (table === undefined || before === undefined) continue;
    const index = table.find(batch.src[i], batch.dest[i], batch.vpc[i]);
    if (index < 0 || index >= before) continue;
    table.own();
    const at = index * TOTAL_DOUBLES + TX;
    table.totals[at] -= batch.tx[i];
    table.totals[at + 1] -= batch.rx[i];
  }
}

/**
 * The groups' batches, decoded back from their frames one at a time (the batch object is reused), with
 * the ids `names` has for their names now (-1, found in no flow, for a name it no longer holds).
 */
function* batchesOf(groups: PendingGroup[], names: Interner): Generator<ColumnarBatch> {
  for (const group of groups) {
    const frame = group.frame.seal(group.firstLsn);
    const header = readFrameHeader(frame);
    if (!header) continue;
    for (const logged of loggedBatches(frame, header, 'pending group')) {
      yield renumbered(logged, (name) => names.find(name));
    }
  }
}

/** What a client is told about a failed write: the condition, never a path. */
export function failureReason(err: Error): string {
  if (err instanceof LogBrokenError) {
    return 'the log is in an unknown state after a failed write; the service must be restarted';
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  return `I/O error${code ? ` ${code}` : ''}`;
}
