import type { HourSummary, TopGroups, TopQuery } from '../../src/queries/flow-queries.js';
import type { FlowRecord, FlowTotal } from '../../src/schemas/flow.js';
import type { FlowStore, IngestOptions } from '../../src/store/flow-store.js';
import { MemoryFlowStore } from '../../src/store/memory/memory-store.js';
import { MinuteWindow } from '../../src/window/minute-window.js';

/**
 * The real in-memory store, with two switches a test needs and a healthy store never offers: `down`
 * makes every call fail as an unreachable database would, and `hold()` parks ingests until released,
 * so a test can have a request reliably in flight.
 */
export class ControllableStore implements FlowStore {
  readonly inner = new MemoryFlowStore(new MinuteWindow());
  down = false;
  ingests = 0;
  readonly tickets: (IngestOptions['idempotency'] | undefined)[] = [];
  #held: Promise<void> | undefined;
  #arrived: (() => void)[] = [];

  /** Parks later ingests; resolves `arrived` once one is parked; `release()` lets them all go. */
  hold(): { arrived: Promise<void>; release: () => void } {
    let release = () => {};
    this.#held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const arrived = new Promise<void>((resolve) => this.#arrived.push(resolve));
    return {
      arrived,
      release: () => {
        this.#held = undefined;
        release();
      },
    };
  }

  async ingest(records: readonly FlowRecord[], options?: IngestOptions): Promise<void> {
    this.#check();
    if (this.#held) {
      for (const arrived of this.#arrived.splice(0)) arrived();
      await this.#held;
    }
    this.ingests++;
    this.tickets.push(options?.idempotency);
    return this.inner.ingest(records);
  }

  async flowsForHour(hour: number): Promise<FlowTotal[]> {
    this.#check();
    return this.inner.flowsForHour(hour);
  }

  async ping(): Promise<void> {
    this.#check();
  }

  async hourSummaries(from: number, to: number): Promise<HourSummary[]> {
    this.#check();
    return this.inner.hourSummaries(from, to);
  }

  async topFlows(query: TopQuery): Promise<TopGroups> {
    this.#check();
    return this.inner.topFlows(query);
  }

  flowCount(): Promise<number> {
    return this.inner.flowCount();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  #check(): void {
    if (this.down) throw new Error('connect ECONNREFUSED 10.0.0.5:5432 (user flows)');
  }
}
