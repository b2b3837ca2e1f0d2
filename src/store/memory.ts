import { TotalOverflowError } from '../errors.js';
import { type FlowRecord, type FlowTotal, MAX_TOTAL } from '../schemas/flow.js';
import type { MinuteWindow } from '../window/minute-window.js';
import type { FlowStore } from './flow-store.js';
import { HourTable } from './hour-table.js';
import { Interner } from './interner.js';

/**
 * Totals in memory. `ingest` runs synchronously from first record to last, so no reader can run
 * between its steps: a batch is seen whole or not at all.
 */
export class MemoryFlowStore implements FlowStore {
  readonly #names = new Interner();
  readonly #hours = new Map<number, HourTable>();
  readonly #window: MinuteWindow;
  #nextFlowId = 0;
  #flowCount = 0;
  #tables: HourTable[] = [];
  #indexes = new Int32Array(1024);
  readonly #newFlowId = () => this.#nextFlowId++;

  constructor(window: MinuteWindow) {
    this.#window = window;
  }

  async ingest(records: readonly FlowRecord[]): Promise<void> {
    this.ingestNow(records);
  }

  ingestNow(records: readonly FlowRecord[]): void {
    const n = records.length;
    if (this.#indexes.length < n) this.#indexes = new Int32Array(n);
    const tables = this.#tables;
    const indexes = this.#indexes;
    const countsBefore = new Map<HourTable, number>();
    const namesBefore = this.#names.size;

    for (let i = 0; i < n; i++) {
      const r = records[i];
      const table = this.#table(r.hour);
      if (!countsBefore.has(table)) countsBefore.set(table, table.count);
      tables[i] = table;
      indexes[i] = table.indexOf(
        this.#names.id(r.src_app),
        this.#names.id(r.dest_app),
        this.#names.id(r.vpc_id),
        this.#newFlowId,
      );
    }

    for (let i = 0; i < n; i++) {
      const table = tables[i];
      const index = indexes[i];
      const r = records[i];
      // Each addend is at most 2^53-1, so a sum past the limit is still seen as past it after rounding.
      const tx = table.tx[index] + r.bytes_tx;
      const rx = table.rx[index] + r.bytes_rx;
      if (tx > MAX_TOTAL || rx > MAX_TOTAL) {
        this.#undo(records, i, countsBefore);
        this.#names.truncate(namesBefore);
        throw new TotalOverflowError(describe(r));
      }
      table.tx[index] = tx;
      table.rx[index] = rx;
    }

    for (const [table, before] of countsBefore) this.#flowCount += table.count - before;
    for (let i = 0; i < n; i++) {
      const r = records[i];
      this.#window.record(tables[i].flowId[indexes[i]], r.bytes_tx, r.bytes_rx);
    }
    tables.length = 0;
  }

  async flowsForHour(hour: number): Promise<FlowTotal[]> {
    const table = this.#hours.get(hour);
    if (!table) return [];
    const names = this.#names;
    const flows: FlowTotal[] = new Array(table.count);
    for (let i = 0; i < table.count; i++) {
      flows[i] = {
        src_app: names.string(table.src[i]),
        dest_app: names.string(table.dest[i]),
        vpc_id: names.string(table.vpc[i]),
        hour,
        bytes_tx: table.tx[i],
        bytes_rx: table.rx[i],
      };
    }
    return flows;
  }

  async ping(): Promise<void> {}

  async flowCount(): Promise<number> {
    return this.#flowCount;
  }

  async close(): Promise<void> {}

  #table(hour: number): HourTable {
    let table = this.#hours.get(hour);
    if (!table) {
      table = new HourTable();
      this.#hours.set(hour, table);
    }
    return table;
  }

  /** Takes back records [0, applied) and forgets the flows this batch created. */
  #undo(records: readonly FlowRecord[], applied: number, countsBefore: Map<HourTable, number>): void {
    for (let i = 0; i < applied; i++) {
      const table = this.#tables[i];
      const index = this.#indexes[i];
      table.tx[index] -= records[i].bytes_tx;
      table.rx[index] -= records[i].bytes_rx;
    }
    for (const [table, before] of countsBefore) table.truncate(before);
    this.#tables.length = 0;
  }
}

function describe(r: FlowRecord): string {
  return `flow ${JSON.stringify({ src_app: r.src_app, dest_app: r.dest_app, vpc_id: r.vpc_id, hour: r.hour })}`;
}
