import { MAX_TOTAL } from '../../schemas/flow.js';
import type { ColumnarBatch } from './columnar-batch.js';
import { FlowIds } from './flow-ids.js';
import { HourTable, KEY_INTS, TOTAL_DOUBLES, TX } from './hour-table.js';

/** What `apply` returns when the batch was applied; a record index means that record's total would overflow. */
export const APPLIED = -1;
/** What `apply` returns when the batch would create more new flows than allowed; `refusedNewFlows` says how many. */
export const OVER_CAPACITY = -2;

/** Where each applied record's flow id goes: the minute window (or, with DATA_DIR, a buffer in front of it). */
export interface FlowIdRecorder {
  recordFlowId(id: number, bytesTx: number, bytesRx: number): void;
}

/** An hour retention took out of the tables. Gone for good once its flow ids are retired; or put back. */
export interface DroppedHour {
  hour: number;
  table: HourTable;
}

/** The in-memory totals: one HourTable per hour, and batches applied to them all or nothing. */
export class Hours {
  readonly #tables = new Map<number, HourTable>();
  readonly #ids = new FlowIds();
  #flowCount = 0;
  /** New flows of the last batch refused with OVER_CAPACITY. */
  refusedNewFlows = 0;
  /** Per record of the batch being applied: its table and the flow's index in it. */
  #recordTables: HourTable[] = [];
  #indexes = new Int32Array(1024);
  readonly #touched: HourTable[] = [];
  /**
   * Set by durability (durability/journal.ts) while applied batches are not on disk yet: each table they
   * touch, with its flow count before the first of them, so that they can be taken back (truncateTo).
   */
  touchedSince: Map<HourTable, number> | undefined;

  get flowCount(): number {
    return this.#flowCount;
  }

  get(hour: number): HourTable | undefined {
    return this.#tables.get(hour);
  }

  /** Every hour held, for a snapshot. */
  entries(): IterableIterator<[number, HourTable]> {
    return this.#tables.entries();
  }

  /** The tables of the hours from `from` on. */
  tables(from = Number.NEGATIVE_INFINITY): HourTable[] {
    const tables: HourTable[] = [];
    for (const [hour, table] of this.#tables) if (hour >= from) tables.push(table);
    return tables;
  }

  /** The newest hour held, or -1. Retention never drops it, so it is the newest hour of an accepted batch. */
  get newestHour(): number {
    let newest = -1;
    for (const hour of this.#tables.keys()) if (hour > newest) newest = hour;
    return newest;
  }

  /** Flows held in the hours before `hour`: what dropping them would free. */
  flowsBefore(hour: number): number {
    let flows = 0;
    for (const [h, table] of this.#tables) if (h < hour) flows += table.count;
    return flows;
  }

  /**
   * Adds the batch to the totals and records it in `recorder`; returns APPLIED. When a total would pass
   * 2^53-1, returns that record's index instead, and when the batch would create more than `maxNewFlows`
   * flows (MAX_FLOWS; replay sets no limit), OVER_CAPACITY; either way having applied nothing (nor
   * created any flow or hour).
   */
  apply(batch: ColumnarBatch, recorder: FlowIdRecorder, maxNewFlows = Number.POSITIVE_INFINITY): number {
    const n = batch.length;
    if (this.#indexes.length < n) this.#indexes = new Int32Array(n);
    const tables = this.#recordTables;
    const indexes = this.#indexes;
    this.#locate(batch);
    let newFlows = 0;
    for (const t of this.#touched) newFlows += t.count - t.countAtBatchStart;
    // A batch that creates no flow is never refused for room (after a restart with a smaller MAX_FLOWS).
    if (newFlows > 0 && newFlows > maxNewFlows) {
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
      recorder.recordFlowId(tables[i].keys[indexes[i] * KEY_INTS + 3], batch.tx[i], batch.rx[i]);
    }
    tables.length = 0;
    return APPLIED;
  }

  /** Hands out again the retired flow ids whose window has rotated since (see FlowIds). */
  releaseIds(rotation: number): void {
    this.#ids.release(rotation);
  }

  /** Takes every hour before `oldestKept` out of the tables (retention); `retire` or `putBack` them next. */
  dropBefore(oldestKept: number): DroppedHour[] {
    const dropped: DroppedHour[] = [];
    for (const [hour, table] of this.#tables) {
      if (hour >= oldestKept) continue;
      this.#tables.delete(hour);
      this.#flowCount -= table.count;
      dropped.push({ hour, table });
    }
    return dropped;
  }

  /**
   * The drops are final: their flow ids are reused once the window has rotated past `rotation` (the one
   * their last records were counted in; see FlowIds).
   */
  retire(dropped: readonly DroppedHour[], rotation: number): void {
    for (const { table } of dropped) {
      const ids = new Int32Array(table.count);
      for (let i = 0; i < table.count; i++) ids[i] = table.keys[i * KEY_INTS + 3];
      this.#ids.retire(ids, rotation);
    }
  }

  /** Undoes `dropBefore` (the batch that dropped them was taken back): the hours are held again, as they were. */
  putBack(dropped: readonly DroppedHour[]): void {
    for (const { hour, table } of dropped) {
      this.#tables.set(hour, table);
      this.#flowCount += table.count;
    }
  }

  /** Adds an hour read back from a snapshot; its flows get fresh flow ids (they only matter within a run). */
  restore(hour: number, table: HourTable): void {
    for (let i = 0; i < table.count; i++) {
      table.keys[i * KEY_INTS + 3] = this.#ids.peek();
      this.#ids.take();
    }
    this.#tables.set(hour, table);
    this.#flowCount += table.count;
  }

  /**
   * Forgets the flows and hours created since the marks in `touched` (see touchedSince; durability takes
   * their totals back first). Their flow ids were never counted in a window, so they are free at once.
   */
  truncateTo(touched: Map<HourTable, number>): void {
    for (const [hour, table] of this.#tables) {
      const before = touched.get(table);
      if (before === undefined) continue;
      this.#flowCount -= table.count - before;
      this.#forgetFrom(table, before);
      table.version++;
      if (before === 0) this.#tables.delete(hour);
    }
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
          table.own();
          table.countAtBatchStart = table.count;
          this.#touched.push(table);
          if (this.touchedSince && !this.touchedSince.has(table)) this.touchedSince.set(table, table.count);
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
      this.#forgetFrom(table, table.countAtBatchStart);
      table.countAtBatchStart = -1;
    }
    for (const [hour, table] of this.#tables) if (table.count === 0) this.#tables.delete(hour);
    this.#touched.length = 0;
    this.#recordTables.length = 0;
  }

  /** Forgets the table's flows from `count` on and gives their ids back. */
  #forgetFrom(table: HourTable, count: number): void {
    for (let i = table.count - 1; i >= count; i--) this.#ids.giveBack(table.keys[i * KEY_INTS + 3]);
    table.truncate(count);
  }
}
