import { MAX_TOTAL } from '../../schemas/flow.js';
import type { MinuteWindow } from '../../window/minute-window.js';
import type { ColumnarBatch } from './columnar-batch.js';
import { FlowIds } from './flow-ids.js';
import { HourTable, KEY_INTS, TOTAL_DOUBLES, TX } from './hour-table.js';

/** What `apply` returns when the batch was applied; a record index means that record's total would overflow. */
export const APPLIED = -1;
/** What `apply` returns when the batch would create flows past `maxFlows`; `refusedNewFlows` says how many. */
export const OVER_CAPACITY = -2;

/** The in-memory totals: one HourTable per hour, and batches applied to them all or nothing. */
export class Hours {
  readonly #tables = new Map<number, HourTable>();
  readonly #ids = new FlowIds();
  readonly #maxFlows: number;
  #flowCount = 0;
  /** New flows of the last batch refused with OVER_CAPACITY. */
  refusedNewFlows = 0;
  /** Per record of the batch being applied: its table and the flow's index in it. */
  #recordTables: HourTable[] = [];
  #indexes = new Int32Array(1024);
  readonly #touched: HourTable[] = [];

  constructor(maxFlows = Number.POSITIVE_INFINITY) {
    this.#maxFlows = maxFlows;
  }

  get flowCount(): number {
    return this.#flowCount;
  }

  get(hour: number): HourTable | undefined {
    return this.#tables.get(hour);
  }

  /** The tables of the hours from `from` on. */
  tables(from = Number.NEGATIVE_INFINITY): HourTable[] {
    const tables: HourTable[] = [];
    for (const [hour, table] of this.#tables) if (hour >= from) tables.push(table);
    return tables;
  }

  /** Flows held in the hours before `hour`: what dropping them would free. */
  flowsBefore(hour: number): number {
    let flows = 0;
    for (const [h, table] of this.#tables) if (h < hour) flows += table.count;
    return flows;
  }

  /**
   * Adds the batch to the totals and records it in `window`; returns APPLIED. When a total would pass
   * 2^53-1, returns that record's index instead, and when the batch would create flows past `maxFlows`,
   * OVER_CAPACITY; either way having applied nothing (nor created any flow or hour). `freed` flows are
   * about to be dropped (retention, once the batch is applied), so they do not count against `maxFlows`:
   * a full store is not kept full by refusing the very batch that would expire its oldest hours.
   */
  apply(batch: ColumnarBatch, window: MinuteWindow, freed = 0): number {
    const n = batch.length;
    if (this.#indexes.length < n) this.#indexes = new Int32Array(n);
    const tables = this.#recordTables;
    const indexes = this.#indexes;
    this.#ids.release(window.rotations);
    this.#locate(batch);
    let newFlows = 0;
    for (const t of this.#touched) newFlows += t.count - t.countAtBatchStart;
    if (this.#flowCount - freed + newFlows > this.#maxFlows) {
      this.refusedNewFlows = newFlows;
      this.#undo(batch, 0);
      return OVER_CAPACITY;
    }

    for (let i = 0; i < n; i++) {
      const totals = tables[i].totals;
      const at = indexes[i] * TOTAL_DOUBLES + TX;
      // Each addend is at most 2^53-1, so a sum past the limit is still seen as past it after rounding.
      const tx = totals[at] + batch.tx[i];
      const rx = totals[at + 1] + batch.rx[i];
      if (tx > MAX_TOTAL || rx > MAX_TOTAL) {
        this.#undo(batch, i);
        return i;
      }
      totals[at] = tx;
      totals[at + 1] = rx;
    }

    this.#flowCount += newFlows;
    for (const t of this.#touched) {
      t.countAtBatchStart = -1;
      t.version++;
    }
    this.#touched.length = 0;
    for (let i = 0; i < n; i++) {
      window.recordFlowId(tables[i].keys[indexes[i] * KEY_INTS + 3], batch.tx[i], batch.rx[i]);
    }
    tables.length = 0;
    return APPLIED;
  }

  /**
   * Drops every hour before `oldestKept` (retention) and returns the tables dropped. Their flow ids are
   * reused once `window` has rotated (see FlowIds).
   */
  dropBefore(oldestKept: number, window: MinuteWindow): HourTable[] {
    const dropped: HourTable[] = [];
    for (const [hour, table] of this.#tables) {
      if (hour >= oldestKept) continue;
      this.#tables.delete(hour);
      this.#flowCount -= table.count;
      const ids = new Int32Array(table.count);
      for (let i = 0; i < table.count; i++) ids[i] = table.keys[i * KEY_INTS + 3];
      this.#ids.retire(ids, window.rotations);
      dropped.push(table);
    }
    return dropped;
  }

  /** Finds (or inserts with zero totals) each record's flow, remembering which tables the batch touched. */
  #locate(batch: ColumnarBatch): void {
    const tables = this.#recordTables;
    const indexes = this.#indexes;
    // Records of a batch mostly share an hour, so remember the last table instead of a Map lookup each.
    let lastHour = -1;
    let table: HourTable | undefined;
    for (let i = 0; i < batch.length; i++) {
      const hour = batch.hour[i];
      if (hour !== lastHour || table === undefined) {
        table = this.#table(hour);
        lastHour = hour;
        if (table.countAtBatchStart < 0) {
          table.countAtBatchStart = table.count;
          this.#touched.push(table);
        }
      }
      tables[i] = table;
      const countBefore = table.count;
      indexes[i] = table.indexOf(batch.src[i], batch.dest[i], batch.vpc[i], this.#ids.peek());
      if (table.count !== countBefore) this.#ids.take();
    }
  }

  #table(hour: number): HourTable {
    let table = this.#tables.get(hour);
    if (!table) {
      table = new HourTable();
      this.#tables.set(hour, table);
    }
    return table;
  }

  /** Takes back records [0, applied) and forgets the flows (and hours) this batch created. */
  #undo(batch: ColumnarBatch, applied: number): void {
    for (let i = 0; i < applied; i++) {
      const totals = this.#recordTables[i].totals;
      const at = this.#indexes[i] * TOTAL_DOUBLES + TX;
      totals[at] -= batch.tx[i];
      totals[at + 1] -= batch.rx[i];
    }
    for (const table of this.#touched) {
      for (let i = table.count - 1; i >= table.countAtBatchStart; i--) this.#ids.giveBack(table.keys[i * KEY_INTS + 3]);
      table.truncate(table.countAtBatchStart);
      table.countAtBatchStart = -1;
    }
    for (const [hour, table] of this.#tables) if (table.count === 0) this.#tables.delete(hour);
    this.#touched.length = 0;
    this.#recordTables.length = 0;
  }
}
