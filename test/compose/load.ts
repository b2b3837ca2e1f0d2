import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FlowRecord } from '../../src/schemas/flow.js';

export interface Totals {
  [flow: string]: { bytes_tx: number; bytes_rx: number };
}

/** Batch `seq` of one writer: `size` records over the writer's own three flows in `hour`. */
export function writerBatch(writer: number, seq: number, size: number, hour: number): FlowRecord[] {
  return Array.from({ length: size }, (_, r) => ({
    src_app: `writer-${writer}`,
    dest_app: `dest-${r % 3}`,
    vpc_id: 'vpc-compose',
    bytes_tx: seq * size + r + 1,
    bytes_rx: 2 * (seq * size + r + 1),
    hour,
  }));
}

export function sumTotals(records: FlowRecord[]): Totals {
  const totals: Totals = {};
  for (const { src_app, dest_app, vpc_id, bytes_tx, bytes_rx } of records) {
    const flow = `${src_app}>${dest_app}@${vpc_id}`;
    totals[flow] ??= { bytes_tx: 0, bytes_rx: 0 };
    totals[flow].bytes_tx += bytes_tx;
    totals[flow].bytes_rx += bytes_rx;
  }
  return totals;
}

/** The totals the service answers for `hour`, in the shape of sumTotals. */
export async function storedTotals(baseUrl: string, hour: number): Promise<Totals> {
  const res = await fetch(`${baseUrl}/flows?hour=${hour}`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`GET /flows?hour=${hour}: ${res.status} ${await res.text()}`);
  return sumTotals((await res.json()) as FlowRecord[]);
}

/** The answers that promise nothing was applied, or that the same key's first attempt settles: retry. */
const RETRY_STATUSES = new Set([409, 502, 503, 504]);

/**
 * Posts `records` with one Idempotency-Key until a 200 acknowledges it, as an agent would: a lost connection
 * or a 5xx may or may not have applied the batch, and the key makes the retry safe. Returns the attempts.
 */
export async function postUntilAcknowledged(baseUrl: string, records: FlowRecord[], maxAttempts = 40): Promise<number> {
  const key = randomUUID();
  let last = '';
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const res = await fetch(`${baseUrl}/flows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(records),
        signal: AbortSignal.timeout(15_000),
      });
      const body = await res.text();
      if (res.status === 200) return attempt;
      if (!RETRY_STATUSES.has(res.status)) throw new Error(`POST /flows: ${res.status} ${body}`);
      last = `${res.status} ${body}`;
    } catch (err) {
      if ((err as Error).message.startsWith('POST /flows')) throw err;
      last = String(err);
    }
    await sleep(250);
  }
  throw new Error(`POST /flows not acknowledged after ${maxAttempts} attempts; last: ${last}`);
}

export interface LoadRun {
  acknowledged: number;
  /** Attempts past the first, over all batches. */
  retries: number;
  /** Every record of every acknowledged batch. */
  sent: FlowRecord[];
}

export interface LoadOptions {
  writers: number;
  batchSize: number;
  hour: number;
  /** Asked before each new batch: false stops the writer. */
  more: (run: LoadRun) => boolean;
  /** Sees each acknowledgement as it comes, so a test can act mid-load. */
  onAcknowledged?: (run: LoadRun) => void;
}

/** Concurrent agents, each posting one batch after the other until `more` says stop. */
export async function runWriters(baseUrl: string, options: LoadOptions): Promise<LoadRun> {
  const { writers, batchSize, hour, more, onAcknowledged } = options;
  const run: LoadRun = { acknowledged: 0, retries: 0, sent: [] };
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let seq = 0; more(run); seq++) {
        const batch = writerBatch(writer, seq, batchSize, hour);
        run.retries += (await postUntilAcknowledged(baseUrl, batch)) - 1;
        run.acknowledged++;
        run.sent.push(...batch);
        onAcknowledged?.(run);
      }
    }),
  );
  return run;
}

export interface Reads {
  ok: number;
  failed: string[];
}

/** Reads `url` over and over until stopped; every answer but a 200 is a failure. */
export function startReader(url: string): { stop: () => Promise<Reads> } {
  const reads: Reads = { ok: 0, failed: [] };
  let reading = true;
  const loop = (async () => {
    while (reading) {
      const res = await fetch(url, { signal: AbortSignal.timeout(15_000) }).catch(String);
      if (typeof res === 'string') reads.failed.push(res);
      else if (res.status !== 200) reads.failed.push(`${res.status} ${await res.text()}`);
      else await res.arrayBuffer().then(() => reads.ok++);
      await sleep(20);
    }
  })();
  return {
    stop: async () => {
      reading = false;
      await loop;
      return reads;
    },
  };
}
