import type pg from 'pg';

/**
 * Runs `work` on `client`, then hands the connection back to the pool. One that `work` failed on is closed
 * instead: its state is unknown, and closing it rolls back its transaction and drops its session locks.
 */
export async function releasing<T>(client: pg.PoolClient, work: () => Promise<T>): Promise<T> {
  let broken: Error | undefined;
  try {
    return await work();
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}
