import { MAX_TOTAL } from '../../schemas/flow.js';
import type { ColumnarBatch } from './columnar-batch.js';
import { HourTable, KEY_INTS, TOTAL_DOUBLES, TX } from './hour-table.js';

/** Where each applied record's flow id goes: the minute window (or, with DATA_DIR, a buffer in front of it). */
export interface FlowIdRecorder {
  recordFlowId(id: number, bytesTx: number, bytesRx: number): void;
}

/** The in-memory totals: one HourTable per hour, and batches applied to them all or nothing. */
export class Hours {
  readonly #tables = new Map<number, HourTable>();
  #nextFlowId = 0;
  #flowCount = 0;
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

  get nextFlowId(): number {
    return this.#nextFlowId;
  }

  /** Adds an hour read back from a snapshot; its flows get fresh flow ids (they only matter within a run). */
  restore(hour: number, table: HourTable): void {
    for (let i = 0; i < table.count; i++) table.keys[i * KEY_INTS + 3] = this.#nextFlowId++;
    this.#tables.set(hour, table);
    this.#flowCount += table.count;
  }

  /**
   * Forgets the flows and hours created since the marks in `touched` (see touchedSince; durability takes
   * their totals back first) and hands out flow ids from `nextFlowId` on again. Tables dropped meanwhile are
   * gone already and skipped.
   */
  truncateTo(touched: Map<HourTable, number>, nextFlowId: number): void {
    for (const [hour, table] of this.#tables) {
      const before = touched.get(table);
      if (before === undefined) continue;
      this.#flowCount -= table.count - before;
      table.truncate(before);
      table.version++;
      if (before === 0) this.#tables.delete(hour);
    }
    this.#nextFlowId = nextFlowId;
  }

  /**
   * Adds the batch to the totals and records it in `window`; returns -1. When a total would pass
   * 2^53-1, returns that record's index instead, having applied nothing (nor created any flow or hour).
   */
  apply(batch: ColumnarBatch, window: FlowIdRecorder): number {
    const n = batch.length;
    if (this.#indexes.length < n) this.#indexes = new Int32Array(n);
    const tables = this.#recordTables;
    const indexes = this.#indexes;
    this.#locate(batch);

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

    for (const t of this.#touched) {
      this.#flowCount += t.count - t.countAtBatchStart;
      t.countAtBatchStart = -1;
      t.version++;
    }
    this.#touched.length = 0;
    for (let i = 0; i < n; i++) {
      window.recordFlowId(tables[i].keys[indexes[i] * KEY_INTS + 3], batch.tx[i], batch.rx[i]);
    }
    tables.length = 0;
    return -1;
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
      indexes[i] = table.indexOf(batch.src[i], batch.dest[i], batch.vpc[i], this.#nextFlowId);
      if (table.count !== countBefore) this.#nextFlowId++;
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
      this.#nextFlowId -= table.count - table.countAtBatchStart;
      table.truncate(table.countAtBatchStart);
      table.countAtBatchStart = -1;
    }
    for (const [hour, table] of this.#tables) if (table.count === 0) this.#tables.delete(hour);
    this.#touched.length = 0;
    this.#recordTables.length = 0;
  }
}
