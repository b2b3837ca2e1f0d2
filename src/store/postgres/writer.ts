import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { totalOverflow } from '../../errors.js';
import type { UpsertColumns } from './batch.js';
import { sqlState } from './errors.js';
import { claimKeys, type TicketColumns } from './idempotency-keys.js';
import { OVERFLOWING_FLOW_SQL, TOTALS_SQL, WRITE_SQL } from './write-statements.js';

export interface WriteJob {
  /** Reused by every attempt of the same job: a retry after an unknown commit outcome cannot apply it twice. */
  id: string;
  flows: UpsertColumns;
  tickets?: TicketColumns;
}

export function writeJob(flows: UpsertColumns, tickets?: TicketColumns): WriteJob {
  return { id: randomUUID(), flows, tickets };
}

/**
 * One attempt of a write transaction on a fresh pooled connection; `shard` is the flow-count shard it
 * adds its new flows to. Resolves with no keys once committed; a duplicate commit marker means an
 * earlier attempt of this job committed, which is success too. When some Idempotency-Key is live
 * elsewhere, rolls back and resolves with the refused keys: a committed job always applied every one of
 * its batches, so "the marker exists" keeps meaning "all of it is applied".
 */
export async function writeOnce(pool: pg.Pool, job: WriteJob, shard: number): Promise<string[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  let committing = false;
  let inTransaction = false;
  try {
    if (!job.tickets) {
      // One statement, its own transaction: once it is sent, it may commit.
      committing = true;
      await client.query(WRITE_SQL, [...upsertParams(job.flows), shard, job.id]);
      return [];
    }
    await client.query('BEGIN');
    inTransaction = true;
    const refused = await claimKeys(client, job.tickets, job.id);
    if (refused.length > 0) {
      await client.query('ROLLBACK');
      return refused;
    }
    await client.query(TOTALS_SQL, [...upsertParams(job.flows), shard]);
    committing = true;
    await client.query('COMMIT');
    return [];
  } catch (err) {
    // Once the commit may have happened, only an answer from the server says it did not: a lost connection
    // leaves the outcome unknown until a retry finds the marker.
    if (committing && err instanceof Error && !(err instanceof pg.DatabaseError)) {
      Object.assign(err, { commitOutcomeUnknown: true });
    }
    if (err instanceof pg.DatabaseError) {
      if (inTransaction) {
        await client.query('ROLLBACK').catch((rollbackErr: Error) => {
          broken = rollbackErr;
        });
      }
    } else {
      // Not an answer from the server (a socket error or a client-side timeout): the connection's
      // state is unknown, so it is closed, which also makes the server roll back.
      broken = err as Error;
    }
    if (sqlState(err) === '23505' && (err as { constraint?: string }).constraint === 'flow_commits_pkey') return [];
    if (sqlState(err) === '23514' && !broken) throw await overflowError(client, job.flows);
    if (sqlState(err) === '23514') throw totalOverflow();
    throw err;
  } finally {
    // A connection that failed mid-transaction is discarded rather than handed to the next writer.
    client.release(broken);
  }
}

/** Names a flow that would pass 2^53-1, for the 422 message; read after the rollback, best effort. */
async function overflowError(client: pg.PoolClient, flows: UpsertColumns): Promise<Error> {
  try {
    const { rows } = await client.query(OVERFLOWING_FLOW_SQL, upsertParams(flows));
    if (rows[0]) return totalOverflow(rows[0]);
  } catch {
    // The name of the flow is a courtesy; the rejection stands without it.
  }
  return totalOverflow();
}

/** $1 to $6 of the totals statements and OVERFLOWING_FLOW_SQL. */
function upsertParams(flows: UpsertColumns): unknown[] {
  return [flows.hour, flows.src, flows.dest, flows.vpc, flows.tx, flows.rx];
}
