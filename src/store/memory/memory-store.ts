import type { Logger } from 'pino';
import { totalOverflow } from '../../errors.js';
import type { HourSummary, TopGroups, TopQuery } from '../../queries/flow-queries.js';
import type { FlowRecord, FlowTotal } from '../../schemas/flow.js';
import type { MinuteWindow } from '../../window/minute-window.js';
import type { FlowStore } from '../flow-store.js';
import type { LimitsReport, StoreLimits } from '../limits.js';
import { Capacity, nameBytes } from './capacity.js';
import { ColumnarBatch } from './columnar-batch.js';
import { flowsJsonSize, writeHourJson } from './hour-json.js';
import { HourJsonCache, MAX_CACHED_BYTES } from './hour-json-cache.js';
import { HourJsonStream } from './hour-json-stream.js';
import { HourRetention } from './hour-retention.js';
import { HourSnapshots } from './hour-snapshots.js';
import { HourSummaries } from './hour-summaries.js';
import { KEY_INTS, TOTAL_DOUBLES, TX } from './hour-table.js';
import { Hours, OVER_CAPACITY } from './hours.js';
import { Interner } from './interner.js';
import { scanFlowBatch } from './json-batch-scanner.js';
import { compactNames, liveNameBytes } from './name-compaction.js';
import { topGroups } from './top-groups.js';

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
}

/** Snapshots held at once for streamed answers; one is always allowed, however large. */
const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;

/**
 * Totals in memory. Every ingest runs synchronously from decoding to the last total, so no reader
 * can run between its steps: a batch is seen whole or not at all. Each applied record is counted in
 * `window`, the minute window the scheduler closes.
 */
export class MemoryFlowStore implements FlowStore, StoreLimits {
  #names = new Interner();
  readonly #hours: Hours;
  readonly #window: MinuteWindow;
  readonly #batch = new ColumnarBatch();
  readonly #jsonCache = new HourJsonCache();
  readonly #snapshots = new HourSnapshots(MAX_SNAPSHOT_BYTES);
  readonly #capacity: Capacity;
  readonly #retention: HourRetention | undefined;
  readonly #summaries = new HourSummaries();
  readonly #maxWholeAnswer: number;

  constructor(window: MinuteWindow, options: MemoryStoreOptions = {}) {
    const unbounded = Number.POSITIVE_INFINITY;
    this.#window = window;
    this.#hours = new Hours(options.maxFlows);
    this.#capacity = new Capacity(options.maxFlows ?? unbounded, options.maxNameBytes ?? unbounded, options.log);
    if (options.retentionHours !== undefined) this.#retention = new HourRetention(options.retentionHours, options.log);
    this.#maxWholeAnswer = options.maxWholeAnswer ?? MAX_CACHED_BYTES;
  }

  async ingest(records: readonly FlowRecord[]): Promise<void> {
    const batch = this.#batch;
    const names = this.#names;
    const namesBefore = names.size;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      batch.ensure(i);
      batch.src[i] = names.id(r.src_app);
      batch.dest[i] = names.id(r.dest_app);
      batch.vpc[i] = names.id(r.vpc_id);
      batch.hour[i] = r.hour;
      batch.tx[i] = r.bytes_tx;
      batch.rx[i] = r.bytes_rx;
    }
    batch.length = records.length;
    this.#apply(batch, namesBefore);
  }

  /** The fast path (see FlowStore): decodes, validates and applies the bytes in one synchronous step. */
  ingestJson(body: Uint8Array, maxRecords: number): number | undefined {
    const namesBefore = this.#names.size;
    if (!scanFlowBatch(body, maxRecords, this.#names, this.#batch)) return undefined;
    this.#apply(this.#batch, namesBefore);
    return this.#batch.length;
  }

  async flowsForHour(hour: number): Promise<FlowTotal[]> {
    const table = this.#hours.get(hour);
    if (!table) return [];
    const names = this.#names;
    const { keys, totals } = table;
    const flows: FlowTotal[] = new Array(table.count);
    for (let i = 0; i < table.count; i++) {
      const k = i * KEY_INTS;
      flows[i] = {
        src_app: names.string(keys[k]),
        dest_app: names.string(keys[k + 1]),
        vpc_id: names.string(keys[k + 2]),
        hour,
        bytes_tx: totals[i * TOTAL_DOUBLES + TX],
        bytes_rx: totals[i * TOTAL_DOUBLES + TX + 1],
      };
    }
    return flows;
  }

  /**
   * The fast path for `GET /flows` (see FlowStore): the answer written whole and cached while the hour
   * does not change, or, past `maxWholeAnswer` bytes, streamed from a snapshot shared by its readers.
   */
  flowsForHourJson(hour: number): Buffer | HourJsonStream {
    const table = this.#hours.get(hour);
    if (!table) return Buffer.from('[]');
    const cached = this.#jsonCache.get(table);
    if (cached) return cached;
    const names = this.#names;
    const size = flowsJsonSize(table, hour, names, 0, table.count) + 2;
    if (size <= this.#maxWholeAnswer) return this.#jsonCache.put(table, writeHourJson(table, hour, names));
    const snapshot = this.#snapshots.acquire(table, names, size);
    return new HourJsonStream(snapshot, hour, () => this.#snapshots.release(snapshot));
  }

  /** Bytes of hour snapshots held for answers still being streamed (for tests and metrics). */
  get snapshotBytes(): number {
    return this.#snapshots.bytes;
  }

  async ping(): Promise<void> {}

  async flowCount(): Promise<number> {
    return this.#hours.flowCount;
  }

  async close(): Promise<void> {}

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
   * Applies the batch all-or-nothing: refused for an expired hour, past a bound, or on overflow, it
   * also forgets the names interned since `namesBefore`. Once applied, drops the hours it expires.
   */
  #apply(batch: ColumnarBatch, namesBefore: number): void {
    const names = this.#names;
    const hours = this.#hours;
    try {
      this.#retention?.check(batch);
      // What the batch expires is dropped once it is applied; the bounds count that in its favour, so a
      // full store is not kept full by refusing the batch that would expire its oldest hours.
      const oldestKept = this.#retention?.oldestKeptAfter ?? Number.NEGATIVE_INFINITY;
      const dropping = oldestKept > Number.NEGATIVE_INFINITY;
      const afterDrop = dropping ? () => liveNameBytes(names, hours.tables(oldestKept), batch) : undefined;
      this.#capacity.checkNames(names, namesBefore, hours.flowCount, afterDrop);
      const outcome = hours.apply(batch, this.#window, dropping ? hours.flowsBefore(oldestKept) : 0);
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
    if (this.#retention) this.#dropExpired();
    this.#capacity.observe(hours.flowCount, nameBytes(this.#names));
  }

  /** Drops the hours the batch just applied expired, their cached answers, and the names only they used. */
  #dropExpired(): void {
    const dropped = this.#retention?.applied(this.#hours, this.#window) ?? [];
    if (dropped.length === 0) return;
    for (const table of dropped) this.#jsonCache.forget(table);
    const overBound = nameBytes(this.#names) > this.#capacity.maxNameBytes;
    this.#names = compactNames(this.#names, this.#hours.tables(), overBound) ?? this.#names;
  }
}
