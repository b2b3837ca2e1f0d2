import { flow } from '../testkit/workload.js';

/**
 * The persistent benchmark's workload, the same for the service and its floor: `bodies` batches of
 * `size` records, each record a distinct flow of hour 7, together every flow [0, bodies * size) once.
 * Requests cycle over the bodies, so after the first round every record updates an existing total.
 */
export interface Workload {
  /** The JSON bodies, as POSTed. */
  json: string[];
  /** The same batches as upsert columns, rows in key order (the floor's statement parameters). */
  columns: UpsertRows[];
  /** bytes_tx of each body, to check the database against what was acknowledged. */
  txSums: number[];
}

export interface UpsertRows {
  hour: number[];
  src: string[];
  dest: string[];
  vpc: string[];
  tx: number[];
  rx: number[];
}

export function workload(bodies: number, size: number): Workload {
  const out: Workload = { json: [], columns: [], txSums: [] };
  for (let b = 0; b < bodies; b++) {
    const records = Array.from({ length: size }, (_, i) => {
      const n = b * size + i;
      return { ...flow(n), bytes_tx: 100 + (n % 7), bytes_rx: 200 + (n % 11), hour: 7 };
    });
    out.json.push(JSON.stringify(records));
    out.txSums.push(records.reduce((sum, r) => sum + r.bytes_tx, 0));
    // The service's key order (hour, then the names); any one global order keeps writers from deadlocking.
    const key = (r: (typeof records)[number]) => `${r.src_app}\u0000${r.dest_app}\u0000${r.vpc_id}`;
    records.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
    out.columns.push({
      hour: records.map((r) => r.hour),
      src: records.map((r) => r.src_app),
      dest: records.map((r) => r.dest_app),
      vpc: records.map((r) => r.vpc_id),
      tx: records.map((r) => r.bytes_tx),
      rx: records.map((r) => r.bytes_rx),
    });
  }
  return out;
}

/** bytes_tx the database must hold after `requests` requests cycling over the bodies. */
export function expectedTx(w: Workload, requests: number): bigint {
  let sum = 0n;
  for (let k = 0; k < requests; k++) sum += BigInt(w.txSums[k % w.txSums.length]);
  return sum;
}
