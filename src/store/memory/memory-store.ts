import type { Logger } from 'pino';
import { totalOverflow } from '../../errors.js';
import type { HourSummary, TopGroups, TopQuery } from '../../queries/flow-queries.js';
import type { FlowRecord, FlowTotal } from '../../schemas/flow.js';
import type { MinuteWindow } from '../../window/minute-window.js';
import type { FlowStore, IngestOptions } from '../flow-store.js';
import type { LimitsReport, StoreLimits } from '../limits.js';
import type { BatchJournal, JournalHost } from './batch-journal.js';
import { Capacity, nameBytes } from './capacity.js';
import { ColumnarBatch } from './columnar-batch.js';
import { HourAnswers } from './hour-answers.js';
import type { HourJsonStream } from './hour-json-stream.js';
import { HourRetention } from './hour-retention.js';
import { HourSummaries } from './hour-summaries.js';
import type { HourTable } from './hour-table.js';
import { type DroppedHour, Hours, OVER_CAPACITY } from './hours.js';
import { Interner } from './interner.js';
import { scanFlowBatch } from './json-batch-scanner.js';
import { compactNames, liveNameBytes } from './name-compaction.js';
import { topGroups } from './top-groups.js';

const NO_DROPS: readonly DroppedHour[] = [];

export interface MemoryStoreOptions {
  /** RETENTION_HOURS; unset keeps every hour. */
  retentionHours?: number;
  /** MAX_FLOWS and MAX_NAME_BYTES; unset is unbounded (open-store.ts sets the defaults from the heap limit). */
  maxFlows?: number;
  maxNameBytes?: number;
  /** Where retention and capacity log their changes. */
  log?: Logger;
  /** `GET /flows` answers up to this many bytes are written whole and cached, larger ones streamed (32 MiB). */
  maxWholeAnswer?: number;
  /** DATA_DIR: the tables as recovered from disk, and the journal that keeps them there. */
  durable?: { names: Interner; hours: Hours; journal: BatchJournal };
}

/**
 * Totals in memory. Every ingest runs synchronously from decoding to the last total, so no reader
 * can run between its steps: a batch is seen whole or not at all. Each applied record is counted in
 * `window`, the minute window the scheduler closes. With a journal (DATA_DIR), an applied batch is
 * answered, and counted in the window, once the journal has it on disk.
 */
export class MemoryFlowStore implements FlowStore, StoreLimits {
  #names: Interner;
  readonly #hours: Hours;
  readonly #window: MinuteWindow;
  readonly #journal: BatchJournal | undefined;
  readonly #batch = new ColumnarBatch();
  readonly #capacity: Capacity;
  readonly #retention: HourRetention | undefined;
  readonly #summaries = new HourSummaries();
  /** Hours dropped by batches not on disk yet, with their flows then: put back if those are taken back. */
  readonly #parked = new Map<HourTable, number>();
  readonly #answers: HourAnswers;

  constructor(window: MinuteWindow, options: MemoryStoreOptions = {}) {
    const unbounded = Number.POSITIVE_INFINITY;
    this.#window = window;
    this.#names = options.durable?.names ?? new Interner();
    this.#hours = options.durable?.hours ?? new Hours();
    this.#capacity = new Capacity(options.maxFlows ?? unbounded, options.maxNameBytes ?? unbounded, options.log);
    if (options.retentionHours !== undefined) this.#retention = new HourRetention(options.retentionHours, options.log);
    this.#answers = new HourAnswers(options.maxWholeAnswer);
    this.#journal = options.durable?.journal;
    if (this.#journal) {
      this.#recovered();
      this.#journal.attach(this.#journalHost());
    }
  }

  async ingest(records: readonly FlowRecord[], options?: IngestOptions): Promise<void> {
    const namesBefore = this.#names.size;
    this.#batch.fill(records, this.#names);
    await this.#commit(namesBefore, options);
  }

  /**
   * The fast path (see FlowStore): decodes, validates and applies the bytes in one synchronous step; with
   * a journal, the count comes once the batch is on disk.
   */
  ingestJson(body: Uint8Array, maxRecords: number, options?: IngestOptions): number | Promise<number> | undefined {
    const namesBefore = this.#names.size;
    const batch = this.#batch;
    if (!scanFlowBatch(body, maxRecords, this.#names, batch)) return undefined;
    const accepted = batch.length;
    const durable = this.#commit(namesBefore, options);
    return durable ? durable.then(() => accepted) : accepted;
  }

  async flowsForHour(hour: number): Promise<FlowTotal[]> {
    return this.#answers.flows(this.#hours.get(hour), hour, this.#names);
  }

  /** The fast path for `GET /flows` (see FlowStore and HourAnswers). */
  flowsForHourJson(hour: number): Buffer | HourJsonStream {
    return this.#answers.json(this.#hours.get(hour), hour, this.#names);
  }

  /** Bytes of hour snapshots held for answers still being streamed (for tests and metrics). */
  get snapshotBytes(): number {
    return this.#answers.snapshotBytes;
  }

  async ping(): Promise<void> {
    await this.#journal?.ping();
  }

  async flowCount(): Promise<number> {
    return this.#hours.flowCount;
  }

  async close(): Promise<void> {
    await this.#journal?.close();
  }

  /** Flows and names against their bounds, and retention (when set), for `/ready` and `/metrics`. */
  limits(): LimitsReport {
    const capacity = this.#capacity;
    const bounded = Number.isFinite(capacity.maxFlows) || Number.isFinite(capacity.maxNameBytes);
    return {
      capacity: bounded ? capacity.status(this.#hours.flowCount, nameBytes(this.#names)) : undefined,
      retention: this.#retention?.status(),
    };
  }

  async hourSummaries(from: number, to: number): Promise<HourSummary[]> {
    return this.#summaries.between(this.#hours, from, to);
  }

  async topFlows(query: TopQuery): Promise<TopGroups> {
    return topGroups(this.#hours, this.#names, query);
  }

  /**
   * Applies the batch in `#batch`; the hours it expires are dropped at once, and gone for good at once or,
   * with a journal, once the batch is on disk (the promise returned, which then resolves).
   */
  #commit(namesBefore: number, options: IngestOptions | undefined): Promise<void> | undefined {
    const batch = this.#batch;
    const { oldestKept, dropped } = this.#apply(batch, namesBefore);
    for (const { table } of dropped) this.#answers.forget(table);
    if (!this.#journal) {
      this.#dropsFinal(dropped);
      return undefined;
    }
    this.#capacity.observe(this.#hours.flowCount, nameBytes(this.#names));
    for (const { table } of dropped) this.#parked.set(table, table.count);
    const dropBefore = dropped.length > 0 ? oldestKept : 0;
    const ticket = options?.idempotency;
    return this.#journal.applied({ batch, names: this.#names, ticket, dropBefore, dropped });
  }

  /**
   * Applies the batch all-or-nothing: refused for an expired hour, past a bound, or on overflow, it
   * also forgets the names interned since `namesBefore`. Once applied, drops the hours it expires.
   */
  #apply(batch: ColumnarBatch, namesBefore: number): { oldestKept: number; dropped: readonly DroppedHour[] } {
    const names = this.#names;
    const hours = this.#hours;
    let oldestKept = Number.NEGATIVE_INFINITY;
    try {
      this.#retention?.check(batch);
      // What the batch expires is dropped once it is applied; the bounds count that in its favour, so a
      // full store is not kept full by refusing the batch that would expire its oldest hours.
      oldestKept = this.#retention?.oldestKeptAfter ?? oldestKept;
      const dropping = oldestKept > Number.NEGATIVE_INFINITY;
      const afterDrop = dropping ? () => liveNameBytes(names, hours.tables(oldestKept), batch) : undefined;
      this.#capacity.checkNames(names, namesBefore, hours.flowCount, afterDrop);
      const room = this.#capacity.maxFlows - hours.flowCount + (dropping ? hours.flowsBefore(oldestKept) : 0);
      hours.releaseIds(this.#window.rotations);
      const outcome = hours.apply(batch, this.#journal ?? this.#window, room);
      if (outcome === OVER_CAPACITY) {
        throw this.#capacity.flowsRefused(hours.flowCount, hours.refusedNewFlows, nameBytes(names, namesBefore));
      }
      if (outcome >= 0) {
        throw totalOverflow({
          src_app: names.string(batch.src[outcome]),
          dest_app: names.string(batch.dest[outcome]),
          vpc_id: names.string(batch.vpc[outcome]),
          hour: batch.hour[outcome],
        });
      }
    } catch (err) {
      names.truncate(namesBefore);
      throw err;
    }
    return { oldestKept, dropped: this.#retention?.applied(hours) ?? NO_DROPS };
  }

  /**
   * The hours are gone for good: their flow ids are retired (reused once the window has rotated past the
   * records counted so far) and the names only they used are freed, when that is worth a rebuild.
   */
  #dropsFinal(dropped: readonly DroppedHour[]): void {
    if (dropped.length > 0) {
      this.#hours.retire(dropped, this.#window.rotations);
      for (const { table } of dropped) this.#parked.delete(table);
      this.#compactNames();
    }
    this.#capacity.observe(this.#hours.flowCount, nameBytes(this.#names));
  }

  /** Rebuilds the interner with the live names when enough are dead (see name-compaction.ts). */
  #compactNames(): void {
    const overBound = nameBytes(this.#names) > this.#capacity.maxNameBytes;
    // Parked hours may come back (take-back), so their names stay live and are renumbered with the rest.
    const tables = [...this.#hours.tables(), ...this.#parked.keys()];
    this.#names = compactNames(this.#names, tables, overBound) ?? this.#names;
  }

  /** With DATA_DIR, after recovery: retention, names and capacity as the recovered tables have them. */
  #recovered(): void {
    const dropped = this.#retention?.recovered(this.#hours) ?? [];
    this.#hours.retire(dropped, this.#window.rotations);
    // Also frees the names of hours that replay dropped where they had been dropped before the restart.
    this.#compactNames();
    this.#capacity.observe(this.#hours.flowCount, nameBytes(this.#names));
  }

  #journalHost(): JournalHost {
    return {
      names: () => this.#names,
      durable: (dropped) => this.#dropsFinal(dropped),
      takenBack: () => {
        let putBack = 0;
        for (const flows of this.#parked.values()) putBack += flows;
        this.#parked.clear();
        this.#retention?.takenBack(this.#hours, putBack);
        this.#capacity.observe(this.#hours.flowCount, nameBytes(this.#names));
      },
    };
  }
}
