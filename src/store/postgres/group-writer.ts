import { BrokenCircuitError } from 'cockatiel';
import type pg from 'pg';
import type { Logger } from 'pino';
import { CommitUnknownError, IdempotencyInFlightError } from '../../errors.js';
import type { CommitStats } from '../flow-store.js';
import { mergeFlows, type PreparedBatch, type UpsertColumns } from './batch.js';
import { isTransient, unavailable } from './errors.js';
import type { GroupItem } from './group-commit.js';
import { type StoreGuard, warnUnlessRefused } from './guard.js';
import { ticketColumns } from './idempotency-keys.js';
import { writeJob, writeOnce } from './writer.js';

export interface GroupWriterOptions {
  pool: pg.Pool;
  log: Logger;
  guard: StoreGuard;
  /** The flow-count shard a lane's transactions add to. */
  shardOf: (lane: number) => number;
  onCommit: (commit: CommitStats, batches: readonly PreparedBatch[]) => void;
}

type Item = GroupItem<PreparedBatch>;

/**
 * Writes one group of batches in as few transactions as it can, settling each batch with its own outcome.
 * Some failures belong to one batch, and must not take the others down:
 * - an Idempotency-Key live elsewhere: the transaction is rolled back before writing any total, and
 *   redone without the refused batches (which get 409). Conflicts are rare (a retry racing its original
 *   on another instance), so the extra transaction is too; in exchange, no savepoints in the common case,
 *   and a committed transaction always holds all of its batches (which the commit marker relies on);
 * - any other answer of the database that is not about the database being away (a total that would
 *   pass 2^53-1, a value it cannot store): the batches are written again one transaction each, so only
 *   the culprit fails, with its own error.
 */
export class GroupWriter {
  readonly #o: GroupWriterOptions;

  constructor(options: GroupWriterOptions) {
    this.#o = options;
  }

  async flush(group: Item[], lane: number): Promise<void> {
    let pending = refuseDuplicateKeys(group);
    while (pending.length > 0) {
      const merged = mergeFlows(pending.map((item) => item.value));
      if (!merged) return this.#oneByOne(pending, lane);
      try {
        pending = settle(pending, await this.#write(merged, pending, lane));
      } catch (err) {
        if (pending.length > 1 && isBatchSpecific(err)) return this.#oneByOne(pending, lane);
        for (const item of pending) item.reject(err);
        return;
      }
    }
  }

  async #oneByOne(items: Item[], lane: number): Promise<void> {
    this.#o.log.debug({ batches: items.length }, 'a group failed for one of its batches; writing them one by one');
    for (const item of items) {
      try {
        // A single prepared batch always merges: prepareBatch already rejected its own overflows.
        settle([item], await this.#write(mergeFlows([item.value]) as UpsertColumns, [item], lane));
      } catch (err) {
        item.reject(err);
      }
    }
  }

  /** One transaction, retried on transient errors; resolves with the refused keys (none: committed). */
  async #write(flows: UpsertColumns, items: Item[], lane: number): Promise<string[]> {
    const batches = items.map((item) => item.value);
    const job = writeJob(flows, ticketColumns(batches));
    const { pool, guard } = this.#o;
    const shard = this.#o.shardOf(lane);
    const started = performance.now();
    // Once any attempt lost its connection after sending COMMIT, "nothing was applied" is no longer
    // known, even if the last attempt failed before committing.
    let outcomeUnknown = false;
    try {
      const refused = await guard.retrying(async () => {
        try {
          return await writeOnce(pool, job, shard);
        } catch (err) {
          if ((err as { commitOutcomeUnknown?: boolean }).commitOutcomeUnknown) outcomeUnknown = true;
          throw err;
        }
      });
      if (refused.length === 0) {
        const records = batches.reduce((sum, b) => sum + b.records, 0);
        this.#o.onCommit({ batches: batches.length, records, durationMs: performance.now() - started }, batches);
      }
      return refused;
    } catch (err) {
      warnUnlessRefused(this.#o.log, err, 'database write failed', { outcomeUnknown });
      // Only an answer from the database proves the job was not applied (a retry of a committed one
      // would have found its marker); a lost connection or the open breaker proves nothing.
      if (outcomeUnknown && (isTransient(err) || err instanceof BrokenCircuitError)) {
        throw new CommitUnknownError('the database went away');
      }
      throw unavailable(err, 'writing flows');
    }
  }
}

/** Settles the batches of a committed transaction, or refuses those whose keys were; returns the rest. */
function settle(items: Item[], refused: string[]): Item[] {
  if (refused.length === 0) {
    for (const item of items) item.resolve();
    return [];
  }
  const keys = new Set(refused);
  const rest: Item[] = [];
  for (const item of items) {
    const key = item.value.ticket?.key;
    if (key !== undefined && keys.has(key)) item.reject(new IdempotencyInFlightError());
    else rest.push(item);
  }
  // Refused keys are always some of the group's own; anything else would loop for ever.
  if (rest.length === items.length) throw new Error(`refused keys not in the group: ${refused.length}`);
  return rest;
}

/** Two batches with one key in one group: the later one is a concurrent repeat, refused like any other. */
function refuseDuplicateKeys(group: Item[]): Item[] {
  const seen = new Set<string>();
  return group.filter((item) => {
    const key = item.value.ticket?.key;
    if (key === undefined) return true;
    if (!seen.has(key)) {
      seen.add(key);
      return true;
    }
    item.reject(new IdempotencyInFlightError());
    return false;
  });
}

/** An error that may belong to one batch of a merged group: anything but a 503 (the database away or busy). */
function isBatchSpecific(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode !== 503;
}
