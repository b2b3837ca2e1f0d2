import type { Logger } from 'pino';
import { LogWriteFailedError } from '../../../errors.js';
import type { AppliedBatch, BatchJournal, JournalHost } from '../batch-journal.js';
import type { FlowIdRecorder, Hours } from '../hours.js';
import type { Interner } from '../interner.js';
import type { DurableKeys } from './durable-keys.js';
import type { LogWriter } from './log-writer.js';
import { type GroupBuffers, PendingGroup } from './pending-group.js';
import { failureReason, takeBack } from './take-back.js';

export interface JournalParts {
  hours: Hours;
  keys: DurableKeys;
  /** Where records are counted once durable: the minute window. */
  window: FlowIdRecorder;
  writer: LogWriter;
  /** LSN of the last batch on disk (0: none). */
  lastLsn: number;
  log: Logger;
}

/** A frame is at most about this big; past it, the group is closed and the next one started. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/**
 * The write-ahead log of the in-memory store. Batches are applied in memory first (with every check),
 * then appended to the open group; one frame is written (durably: O_DSYNC) at a time, and everything
 * applied meanwhile goes into the next (group commit). A request is answered when its group is durable. When a
 * write fails, every batch not yet durable is taken back out of memory (its totals, flows, hours, names
 * and Idempotency-Keys, and the hours it dropped put back) and refused, in order, so what stays in memory
 * is exactly what is on disk.
 */
export class Journal implements BatchJournal {
  readonly #parts: JournalParts;
  #host: JournalHost | undefined;
  /** Oldest first; the last one is open (batches join it). */
  #groups: PendingGroup[];
  #durableLsn: number;
  #flushing: Promise<void> | undefined;
  #durableWaiters: { lsn: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  #takeBacks = 0;
  /** The buffers of the last group written, for the next group to fill. */
  #spare: GroupBuffers | undefined;
  /** Called after each durable write, e.g. to start a snapshot when the log has grown. */
  onDurable: () => void = () => {};
  /** Called by close once every batch is settled, e.g. to take a last snapshot and close the files. */
  onClose: () => Promise<void> = async () => {};

  constructor(parts: JournalParts) {
    this.#parts = parts;
    this.#durableLsn = parts.lastLsn;
    this.#groups = [];
  }

  attach(host: JournalHost): void {
    this.#host = host;
    this.#open(false);
  }

  /** The store's interner now, for a snapshot. */
  get names(): Interner {
    return this.#hostOf().names();
  }

  #hostOf(): JournalHost {
    if (!this.#host) throw new Error('the journal is not attached to a store');
    return this.#host;
  }

  get #openGroup(): PendingGroup {
    return this.#groups[this.#groups.length - 1];
  }

  /** The store's minute window with DATA_DIR: held in the open group until it is durable. */
  recordFlowId(id: number, bytesTx: number, bytesRx: number): void {
    this.#openGroup.recordFlowId(id, bytesTx, bytesRx);
  }

  applied({ batch, names, ticket, dropBefore, dropped }: AppliedBatch): Promise<void> {
    if (batch.length === 0 && !ticket) return Promise.resolve();
    const group = this.#openGroup;
    group.frame.append(batch, names, ticket, dropBefore);
    group.dropped.push(...dropped);
    if (ticket) {
      this.#parts.keys.record(ticket, batch.length);
      group.keys.push(ticket.key);
    }
    const durable = new Promise<void>((resolve, reject) => group.waiters.push({ resolve, reject }));
    if (group.frame.bytes > MAX_FRAME_BYTES) this.#open(false);
    this.#flushing ??= this.#flush();
    return durable;
  }

  /** LSN of the last batch applied (durable or not). */
  get appliedLsn(): number {
    return this.#openGroup.lastLsn;
  }

  /**
   * Closes the open group at the current batch and starts the next one in a new log segment (for a
   * snapshot taken now). Returns the LSN of the last batch applied so far, the take-backs so far, and a
   * promise that resolves once that batch is durable and rejects if a failed write takes any of it back
   * first. It waits from now: after a take-back the same LSNs are given to other batches, so waiting
   * for the LSN later could see them become durable instead.
   */
  cut(): { lsn: number; takeBacks: number; durable: Promise<void> } {
    const open = this.#openGroup;
    const lsn = open.lastLsn;
    if (open.frame.batches > 0) this.#open(true);
    else open.newSegment = true;
    const durable = this.#whenDurable(lsn);
    // Handled by whoever awaits it; until then a rejection is not unhandled.
    durable.catch(() => {});
    return { lsn, takeBacks: this.#takeBacks, durable };
  }

  /** How many times a failed write took batches back (each time, their LSNs are given out again). */
  get takeBacks(): number {
    return this.#takeBacks;
  }

  #whenDurable(lsn: number): Promise<void> {
    if (lsn <= this.#durableLsn) return Promise.resolve();
    return new Promise((resolve, reject) => this.#durableWaiters.push({ lsn, resolve, reject }));
  }

  async ping(): Promise<void> {
    const broken = this.#parts.writer.broken;
    if (broken) throw broken;
  }

  /** Once every batch applied so far is durable or refused. */
  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    await this.onClose();
  }

  #open(newSegment: boolean): void {
    const last = this.#groups.at(-1);
    const firstLsn = last ? last.lastLsn + 1 : this.#durableLsn + 1;
    const group = new PendingGroup(firstLsn, this.names, newSegment, this.#spare);
    this.#spare = undefined;
    this.#groups.push(group);
    this.#parts.hours.touchedSince = group.touched;
  }

  async #flush(): Promise<void> {
    // Let the requests of this event-loop turn join the first group.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      for (let group = this.#groups[0]; group.frame.batches > 0; group = this.#groups[0]) {
        if (group === this.#openGroup) this.#open(false);
        try {
          const frame = group.frame.seal(group.firstLsn);
          await this.#parts.writer.write(frame, group.firstLsn, group.lastLsn, group.newSegment);
        } catch (err) {
          this.#takeBack(err as Error);
          continue;
        }
        this.#groups.shift();
        this.#spare = group.buffers;
        this.#durableLsn = group.lastLsn;
        group.settle(this.#parts.window);
        this.#hostOf().durable(group.dropped);
        this.#settleDurableWaiters();
        this.onDurable();
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  #settleDurableWaiters(): void {
    const waiting = this.#durableWaiters;
    this.#durableWaiters = waiting.filter((w) => w.lsn > this.#durableLsn);
    for (const w of waiting) if (w.lsn <= this.#durableLsn) w.resolve();
  }

  /** Takes every batch not yet durable back out of memory and refuses it with the write's error. */
  #takeBack(cause: Error): void {
    const groups = this.#groups;
    const { hours, keys, log } = this.#parts;
    takeBack(groups, hours, this.names, keys);
    this.#takeBacks++;
    this.#hostOf().takenBack();
    const error = new LogWriteFailedError(failureReason(cause), { cause });
    const batches = groups.reduce((sum, g) => sum + g.frame.batches, 0);
    log.error(
      { err: cause, batches },
      'DATA_DIR: a log write failed; the batches not yet on disk were taken back and refused',
    );
    for (const group of groups) group.fail(error);
    for (const waiter of this.#durableWaiters) waiter.reject(error);
    this.#durableWaiters = [];
    const newSegment = groups.some((g) => g.newSegment);
    this.#groups = [];
    this.#open(newSegment);
  }
}
