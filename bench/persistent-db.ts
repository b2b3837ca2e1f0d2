import { readFileSync } from 'node:fs';
import pg from 'pg';
import { expectedTx, type Workload } from './persistent-workload.js';

/** Runs `work` on one connection of its own. */
async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Empty totals (and their count) for the next measured run. */
export function truncate(url: string): Promise<void> {
  return withClient(url, async (client) => {
    await client.query('TRUNCATE flow_totals, flow_count_shards, flow_commits');
  });
}

/** Throws unless the database holds exactly the `acknowledged` requests' records, once each. */
export function checkDatabase(url: string, w: Workload, acknowledged: number): Promise<void> {
  return withClient(url, async (client) => {
    const { rows } = await client.query('SELECT count(*)::int AS flows, sum(bytes_tx)::text AS tx FROM flow_totals');
    const expected = expectedTx(w, acknowledged).toString();
    const flows = Math.min(acknowledged, w.json.length) * (w.columns[0]?.hour.length ?? 0);
    if (rows[0].tx !== expected || rows[0].flows !== flows) {
      throw new Error(
        `database holds ${rows[0].flows} flows, bytes_tx ${rows[0].tx}; acknowledged ${flows}, ${expected}`,
      );
    }
  });
}

/** The PostgreSQL server's process (a backend's parent), to count its CPU time; undefined when it is not local. */
export function serverPid(url: string): Promise<number | undefined> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    try {
      return Number(readFileSync(`/proc/${rows[0].pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    } catch {
      return undefined;
    }
  });
}
