import type { FlowRecord } from '../../src/schemas/flow.js';
import type { ServerProcess } from './server-process.js';

export type Outcome = 'acknowledged' | 'unavailable' | 'unknown';

export interface LoadResult {
  outcomes: Map<number, Outcome>;
  /** The 503 answers, for their headers and bodies. */
  rejections: { status: number; retryAfter: string | null; body: { code: string; message: string } }[];
  /** Every answer (a lost connection included): when it was sent, how long it took, its status (0: none). */
  answers: { sentAt: number; ms: number; status: number }[];
}

/** A request not answered within this is a hang: the load records it as status 0 and gives up on it. */
export const HANG_MS = 30_000;

const FLOWS_PER_BATCH = 5;
const RECORDS_PER_FLOW = 4;

/** Batch `id`: its own flows, so each batch's presence in the totals can be checked on its own. */
export function batch(id: number, hour: number): FlowRecord[] {
  const records: FlowRecord[] = [];
  for (let r = 0; r < RECORDS_PER_FLOW; r++) {
    for (let f = 0; f < FLOWS_PER_BATCH; f++) {
      records.push({ src_app: `b${id}-f${f}`, dest_app: 'd', vpc_id: 'v', bytes_tx: id + 1, bytes_rx: 1, hour });
    }
  }
  return records;
}

/**
 * Posts distinct batches from `clients` concurrent loops until `until()` is true. A batch answered 200
 * is acknowledged; a 503 STORE_UNAVAILABLE promised nothing was applied; a lost connection or an
 * unknown commit may have gone either way.
 */
export function startLoad(
  targets: () => ServerProcess,
  hour: number,
  clients: number,
  until: (result: LoadResult) => boolean,
): { result: LoadResult; done: Promise<LoadResult> } {
  const result: LoadResult = { outcomes: new Map(), rejections: [], answers: [] };
  let next = 0;
  const loop = async () => {
    while (!until(result)) {
      const id = next++;
      const sentAt = performance.now();
      const answered = (status: number) => result.answers.push({ sentAt, ms: performance.now() - sentAt, status });
      try {
        const res = await targets().post(batch(id, hour), {}, AbortSignal.timeout(HANG_MS));
        answered(res.status);
        if (res.status === 200) result.outcomes.set(id, 'acknowledged');
        else {
          const body = (await res.json()) as { code: string; message: string };
          result.rejections.push({ status: res.status, retryAfter: res.headers.get('retry-after'), body });
          result.outcomes.set(id, body.code === 'FLOWS_ERR_STORE_UNAVAILABLE' ? 'unavailable' : 'unknown');
        }
      } catch {
        answered(0);
        result.outcomes.set(id, 'unknown');
        // The server is gone; give the test a moment to act instead of spinning on refused connections.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const done = Promise.all(Array.from({ length: clients }, loop)).then(() => result);
  return { result, done };
}

/** Polls `condition` until it holds (no time limit of its own: the test's timeout bounds it). */
export async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 25));
}

/**
 * Checks every batch against the totals: acknowledged ones fully present exactly once, "unavailable"
 * ones absent, unknown ones all or nothing. Returns the problems found (empty when all hold).
 */
export function checkBatches(
  outcomes: Map<number, Outcome>,
  flows: { src_app: string; bytes_tx: number; bytes_rx: number }[],
): string[] {
  const byName = new Map(flows.map((f) => [f.src_app, f]));
  const problems: string[] = [];
  for (const [id, outcome] of outcomes) {
    let present = 0;
    for (let f = 0; f < FLOWS_PER_BATCH; f++) {
      const flow = byName.get(`b${id}-f${f}`);
      if (!flow) continue;
      present++;
      if (flow.bytes_tx !== RECORDS_PER_FLOW * (id + 1) || flow.bytes_rx !== RECORDS_PER_FLOW) {
        problems.push(`batch ${id}: flow ${f} has ${flow.bytes_tx}/${flow.bytes_rx}`);
      }
    }
    if (outcome === 'acknowledged' && present !== FLOWS_PER_BATCH) problems.push(`acknowledged batch ${id} missing`);
    if (outcome === 'unavailable' && present !== 0) problems.push(`batch ${id} answered 503 but applied`);
    if (present !== 0 && present !== FLOWS_PER_BATCH) problems.push(`batch ${id} half applied`);
  }
  return problems;
}

export const countOf = (outcomes: Map<number, Outcome>, outcome: Outcome) =>
  [...outcomes.values()].filter((o) => o === outcome).length;
