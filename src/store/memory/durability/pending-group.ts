import { grown } from '../columnar-batch.js';
import type { HourTable } from '../hour-table.js';
import type { FlowIdRecorder } from '../hours.js';
import { FrameBuilder } from './batch-codec.js';

/**
 * Batches applied in memory and waiting to be written together as one frame (group commit), with what it
 * takes to answer them (their waiters), to count them in the minute window once they are durable, and to
 * take them back if the write fails: the state before the first of them (`touched`, `nextFlowId`,
 * `namesSize`) and their Idempotency-Keys.
 */
export class PendingGroup implements FlowIdRecorder {
  readonly frame: FrameBuilder;
  /** Each table the group touched, with its flow count before the group (see Hours.touchedSince). */
  readonly touched = new Map<HourTable, number>();
  readonly keys: string[] = [];
  readonly waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  readonly firstLsn: number;
  readonly nextFlowId: number;
  readonly namesSize: number;
  /** The frame goes to a new log segment (one was asked for by a snapshot). */
  newSegment: boolean;
  #flowIds = new Int32Array(1024);
  #tx = new Float64Array(1024);
  #rx = new Float64Array(1024);
  #recorded = 0;

  constructor(firstLsn: number, nextFlowId: number, namesSize: number, newSegment: boolean, buffer?: Buffer) {
    this.frame = new FrameBuilder(buffer);
    this.firstLsn = firstLsn;
    this.nextFlowId = nextFlowId;
    this.namesSize = namesSize;
    this.newSegment = newSegment;
  }

  get lastLsn(): number {
    return this.firstLsn + this.frame.batches - 1;
  }

  /** Held back from the minute window until the group is durable: a batch taken back was never accepted. */
  recordFlowId(id: number, bytesTx: number, bytesRx: number): void {
    const at = this.#recorded++;
    if (at === this.#flowIds.length) {
      this.#flowIds = grown(this.#flowIds, new Int32Array(at * 2));
      this.#tx = grown(this.#tx, new Float64Array(at * 2));
      this.#rx = grown(this.#rx, new Float64Array(at * 2));
    }
    this.#flowIds[at] = id;
    this.#tx[at] = bytesTx;
    this.#rx[at] = bytesRx;
  }

  /** The group is on disk: counts its records in `window` and answers its requests. */
  settle(window: FlowIdRecorder): void {
    for (let i = 0; i < this.#recorded; i++) window.recordFlowId(this.#flowIds[i], this.#tx[i], this.#rx[i]);
    for (const waiter of this.waiters) waiter.resolve();
  }

  fail(err: Error): void {
    for (const waiter of this.waiters) waiter.reject(err);
  }
}
