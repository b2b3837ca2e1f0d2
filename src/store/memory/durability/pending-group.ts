import { grown } from '../grown.js';
import type { HourTable } from '../hour-table.js';
import type { DroppedHour, FlowIdRecorder } from '../hours.js';
import type { Interner } from '../interner.js';
import { FrameBuilder } from './batch-codec.js';

/** What a group fills. A group that was written hands them on to a later one, so groups allocate nothing. */
export class GroupBuffers {
  frame: Buffer = Buffer.allocUnsafe(64 * 1024);
  flowIds = new Int32Array(1024);
  tx = new Float64Array(1024);
  rx = new Float64Array(1024);
}

/**
 * Batches applied in memory and waiting to be written together as one frame (group commit), with what it
 * takes to answer them (their waiters), to count them in the minute window once they are durable, and to
 * take them back if the write fails: the state before the first of them (`touched`, `names` and
 * `namesSize`), the hours they dropped, and their Idempotency-Keys.
 */
export class PendingGroup implements FlowIdRecorder {
  readonly frame: FrameBuilder;
  /** Each table the group touched, with its flow count before the group (see Hours.touchedSince). */
  readonly touched = new Map<HourTable, number>();
  /** Hours retention dropped when the group's batches were applied: final once the group is durable. */
  readonly dropped: DroppedHour[] = [];
  readonly keys: string[] = [];
  readonly waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  readonly firstLsn: number;
  /** The interner when the group opened, and its size then (name compaction may replace it since). */
  readonly names: Interner;
  readonly namesSize: number;
  /** The frame goes to a new log segment (one was asked for by a snapshot). */
  newSegment: boolean;
  readonly #buffers: GroupBuffers;
  #recorded = 0;

  constructor(firstLsn: number, names: Interner, newSegment: boolean, buffers = new GroupBuffers()) {
    this.#buffers = buffers;
    this.frame = new FrameBuilder(buffers.frame);
    this.firstLsn = firstLsn;
    this.names = names;
    this.namesSize = names.size;
    this.newSegment = newSegment;
  }

  get lastLsn(): number {
    return this.firstLsn + this.frame.batches - 1;
  }

  /** The buffers, as grown by this group, for a later one once this one is written. */
  get buffers(): GroupBuffers {
    this.#buffers.frame = this.frame.buffer;
    return this.#buffers;
  }

  /** Held back from the minute window until the group is durable: a batch taken back was never accepted. */
  recordFlowId(id: number, bytesTx: number, bytesRx: number): void {
    const at = this.#recorded++;
    const b = this.#buffers;
    if (at === b.flowIds.length) {
      b.flowIds = grown(b.flowIds, new Int32Array(at * 2));
      b.tx = grown(b.tx, new Float64Array(at * 2));
      b.rx = grown(b.rx, new Float64Array(at * 2));
    }
    b.flowIds[at] = id;
    b.tx[at] = bytesTx;
    b.rx[at] = bytesRx;
  }

  /** The group is on disk: counts its records in `window` and answers its requests. */
  settle(window: FlowIdRecorder): void {
    const { flowIds, tx, rx } = this.#buffers;
    for (let i = 0; i < this.#recorded; i++) window.recordFlowId(flowIds[i], tx[i], rx[i]);
    for (const waiter of this.waiters) waiter.resolve();
  }

  fail(err: Error): void {
    for (const waiter of this.waiters) waiter.reject(err);
  }
}
