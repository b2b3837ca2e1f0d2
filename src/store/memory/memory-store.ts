import { totalOverflow } from '../../errors.js';
import { type FlowRecord, type FlowTotal, MAX_TOTAL } from '../../schemas/flow.js';
import type { MinuteWindow } from '../../window/minute-window.js';
import type { FlowStore } from '../flow-store.js';
import { ColumnarBatch } from './columnar-batch.js';
import { writeHourJson } from './hour-json.js';
import { HourTable, KEY_INTS, TOTAL_DOUBLES, TX } from './hour-table.js';
import { Interner } from './interner.js';
import { scanFlowBatch } from './json-batch-scanner.js';

const JSON_CACHE_HOURS = 2;
/** A larger answer (about 200k flows) is not kept: memory matters more than a repeated read of it. */
const JSON_CACHE_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Totals in memory. Every ingest runs synchronously from decoding to the last total, so no reader
 * can run between its steps: a batch is seen whole or not at all.
 */
export class MemoryFlowStore implements FlowStore {
  readonly #names = new Interner();
  readonly #hours = new Map<number, HourTable>();
  readonly #window: MinuteWindow;
  readonly #batch = new ColumnarBatch();
  #nextFlowId = 0;
  #flowCount = 0;
  /** Per record of the batch being applied: its table and the flow's index in it. */
  #tables: HourTable[] = [];
  #indexes = new Int32Array(1024);
  readonly #touched: HourTable[] = [];
  readonly #jsonCache: { table: HourTable; version: number; json: Buffer }[] = [];

  constructor(window: MinuteWindow) {
    this.#window = window;
  }

  async ingest(records: readonly FlowRecord[]): Promise<void> {
    this.ingestNow(records);
  }

  ingestNow(records: readonly FlowRecord[]): void {
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
   * Past hours are read far more often than they change, so the last few answers are kept and served
   * again until a batch touches their hour (`version`). Bounded to JSON_CACHE_HOURS entries of at most
   * JSON_CACHE_MAX_BYTES each.
   */
  flowsForHourJson(hour: number): Buffer {
    const table = this.#hours.get(hour);
    if (!table) return Buffer.from('[]');
    const cache = this.#jsonCache;
    const at = cache.findIndex((entry) => entry.table === table);
    if (at >= 0 && cache[at].version === table.version) return cache[at].json;
    const json = writeHourJson(table, hour, this.#names);
    if (at >= 0) cache.splice(at, 1);
    if (json.length > JSON_CACHE_MAX_BYTES) return json;
    cache.unshift({ table, version: table.version, json });
    if (cache.length > JSON_CACHE_HOURS) cache.pop();
    return json;
  }

  async ping(): Promise<void> {}

  async flowCount(): Promise<number> {
    return this.#flowCount;
  }

  async close(): Promise<void> {}

  /** Applies the batch all-or-nothing; on overflow also forgets the names interned since `namesBefore`. */
  #apply(batch: ColumnarBatch, namesBefore: number): void {
    const n = batch.length;
    if (this.#indexes.length < n) this.#indexes = new Int32Array(n);
    const tables = this.#tables;
    const indexes = this.#indexes;
    const touched = this.#touched;
    // Records of a batch mostly share an hour, so remember the last table instead of a Map lookup each.
    let lastHour = -1;
    let table: HourTable | undefined;

    for (let i = 0; i < n; i++) {
      const hour = batch.hour[i];
      if (hour !== lastHour || table === undefined) {
        table = this.#table(hour);
        lastHour = hour;
        if (table.countAtBatchStart < 0) {
          table.countAtBatchStart = table.count;
          touched.push(table);
        }
      }
      tables[i] = table;
      const countBefore = table.count;
      indexes[i] = table.indexOf(batch.src[i], batch.dest[i], batch.vpc[i], this.#nextFlowId);
      if (table.count !== countBefore) this.#nextFlowId++;
    }

    for (let i = 0; i < n; i++) {
      const totals = tables[i].totals;
      const at = indexes[i] * TOTAL_DOUBLES + TX;
      // Each addend is at most 2^53-1, so a sum past the limit is still seen as past it after rounding.
      const tx = totals[at] + batch.tx[i];
      const rx = totals[at + 1] + batch.rx[i];
      if (tx > MAX_TOTAL || rx > MAX_TOTAL) {
        const error = this.#overflow(batch, i);
        this.#undo(batch, i);
        this.#names.truncate(namesBefore);
        throw error;
      }
      totals[at] = tx;
      totals[at + 1] = rx;
    }

    for (const t of touched) {
      this.#flowCount += t.count - t.countAtBatchStart;
      t.countAtBatchStart = -1;
      t.version++;
    }
    touched.length = 0;
    const window = this.#window;
    for (let i = 0; i < n; i++) {
      window.recordFlowId(tables[i].keys[indexes[i] * KEY_INTS + 3], batch.tx[i], batch.rx[i]);
    }
    tables.length = 0;
  }

  #table(hour: number): HourTable {
    let table = this.#hours.get(hour);
    if (!table) {
      table = new HourTable();
      this.#hours.set(hour, table);
    }
    return table;
  }

  /** Takes back records [0, applied) and forgets the flows (and hours) this batch created. */
  #undo(batch: ColumnarBatch, applied: number): void {
    for (let i = 0; i < applied; i++) {
      const totals = this.#tables[i].totals;
      const at = this.#indexes[i] * TOTAL_DOUBLES + TX;
      totals[at] -= batch.tx[i];
      totals[at + 1] -= batch.rx[i];
    }
    for (const table of this.#touched) {
      this.#nextFlowId -= table.count - table.countAtBatchStart;
      table.truncate(table.countAtBatchStart);
      table.countAtBatchStart = -1;
    }
    for (const [hour, table] of this.#hours) if (table.count === 0) this.#hours.delete(hour);
    this.#touched.length = 0;
    this.#tables.length = 0;
  }

  #overflow(batch: ColumnarBatch, i: number): Error {
    const names = this.#names;
    return totalOverflow({
      src_app: names.string(batch.src[i]),
      dest_app: names.string(batch.dest[i]),
      vpc_id: names.string(batch.vpc[i]),
      hour: batch.hour[i],
    });
  }
}
