import { totalOverflow } from '../../errors.js';
import type { IdempotencyTicket } from '../../idempotency/idempotency-store.js';
import { type FlowRecord, MAX_TOTAL } from '../../schemas/flow.js';

/** One flow's share of a batch: the batch pre-aggregated, so each flow is one row of the upsert. */
export interface FlowDelta {
  key: string;
  hour: number;
  src_app: string;
  dest_app: string;
  vpc_id: string;
  tx: number;
  rx: number;
}

/** A batch ready to write: its flows and its Idempotency-Key. */
export interface PreparedBatch {
  records: number;
  flows: Map<string, FlowDelta>;
  ticket?: IdempotencyTicket;
}

export function flowKey(hour: number, src: string, dest: string, vpc: string): string {
  // NUL cannot be confused with a character of the names, so distinct flows never share a key.
  return `${hour}\u0000${src}\u0000${dest}\u0000${vpc}`;
}

/**
 * Sums the batch per flow. A flow whose sum alone passes 2^53-1 can never be stored, so the batch is
 * rejected here without touching the database. Each addend is at most 2^53-1, so a sum past the limit
 * is still seen as past it after floating-point rounding.
 */
export function prepareBatch(records: readonly FlowRecord[], ticket?: IdempotencyTicket): PreparedBatch {
  const flows = new Map<string, FlowDelta>();
  for (const r of records) {
    const key = flowKey(r.hour, r.src_app, r.dest_app, r.vpc_id);
    const flow = flows.get(key);
    if (flow) {
      flow.tx += r.bytes_tx;
      flow.rx += r.bytes_rx;
      if (flow.tx > MAX_TOTAL || flow.rx > MAX_TOTAL) throw totalOverflow(flow);
    } else {
      flows.set(key, {
        key,
        hour: r.hour,
        src_app: r.src_app,
        dest_app: r.dest_app,
        vpc_id: r.vpc_id,
        tx: r.bytes_tx,
        rx: r.bytes_rx,
      });
    }
  }
  return { records: records.length, flows, ticket };
}

/**
 * The columns for `unnest`, as PostgreSQL array literals, rows in one global key order so concurrent
 * writers lock rows alike. Written here rather than by node-postgres, which quotes and escapes every
 * element of every array: a group's parameters are most of what the process does per record.
 */
export interface UpsertColumns {
  hour: string;
  src: string;
  dest: string;
  vpc: string;
  tx: string;
  rx: string;
}

/**
 * Merges batches into one set of flow deltas, or returns undefined when some merged total would pass
 * 2^53-1: such a group cannot be written in one statement, and is written batch by batch instead.
 */
export function mergeFlows(batches: readonly PreparedBatch[]): UpsertColumns | undefined {
  let merged: Map<string, FlowDelta>;
  if (batches.length === 1) merged = batches[0].flows;
  else {
    merged = new Map();
    for (const batch of batches) {
      for (const flow of batch.flows.values()) {
        const into = merged.get(flow.key);
        if (!into) merged.set(flow.key, { ...flow });
        else {
          into.tx += flow.tx;
          into.rx += flow.rx;
          if (into.tx > MAX_TOTAL || into.rx > MAX_TOTAL) return undefined;
        }
      }
    }
  }
  const flows = [...merged.values()].sort(compareFlows);
  const numbers = (pick: (f: FlowDelta) => number) => `{${flows.map(pick).join(',')}}`;
  const texts = (pick: (f: FlowDelta) => string) => `{${flows.map((f) => quote(pick(f))).join(',')}}`;
  return {
    hour: numbers((f) => f.hour),
    src: texts((f) => f.src_app),
    dest: texts((f) => f.dest_app),
    vpc: texts((f) => f.vpc_id),
    tx: numbers((f) => f.tx),
    rx: numbers((f) => f.rx),
  };
}

const NEEDS_ESCAPE = /["\\]/;

/** An array element: always quoted (so NULL, braces, commas and spaces are plain text); `"` and `\` escaped. */
function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? `"${text.replace(/["\\]/g, '\\$&')}"` : `"${text}"`;
}

/** One global order of flows (hour, then names), in which every writer locks rows. */
export function compareFlows(a: FlowDelta, b: FlowDelta): number {
  if (a.hour !== b.hour) return a.hour - b.hour;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
