import { ExactSum } from '../../queries/exact-integer.js';
import type { FlowDelta, PreparedBatch } from './batch.js';

/** What this instance committed in one window: its distinct flow keys, records and bytes. */
export class ShareSet {
  /** Flow key (batch.ts flowKey) -> a delta carrying the flow's names. */
  keys = new Map<string, FlowDelta>();
  records = 0;
  readonly tx = new ExactSum();
  readonly rx = new ExactSum();
}

/**
 * This instance's share of the open window's minute count, kept in memory as the in-memory store's
 * MinuteWindow keeps its sets: batches are recorded when their transaction has committed, and `take`
 * swaps in an empty set in one step, so each committed batch is in exactly one window's share.
 */
export class WindowShare {
  #open = new ShareSet();

  /** Records committed batches; returns how many distinct keys the open share holds now. */
  record(batches: readonly PreparedBatch[]): number {
    const share = this.#open;
    for (const batch of batches) {
      share.records += batch.records;
      for (const flow of batch.flows.values()) {
        share.tx.add(flow.tx);
        share.rx.add(flow.rx);
        if (!share.keys.has(flow.key)) share.keys.set(flow.key, flow);
      }
    }
    return share.keys.size;
  }

  /** Closes the open share and opens an empty one. */
  take(): ShareSet {
    const closed = this.#open;
    this.#open = new ShareSet();
    return closed;
  }

  /** Moves the open share's keys out (its records and bytes stay), to be written early and bound memory. */
  takeKeys(): Map<string, FlowDelta> {
    const keys = this.#open.keys;
    this.#open.keys = new Map();
    return keys;
  }
}
