import { totalOverflow } from '../../errors.js';
import type { FlowRecord, FlowTotal } from '../../schemas/flow.js';
import type { FlowStore, IngestOptions } from '../flow-store.js';
import type { BatchJournal } from './batch-journal.js';
import { ColumnarBatch } from './columnar-batch.js';
import { writeHourJson } from './hour-json.js';
import { HourJsonCache } from './hour-json-cache.js';
import { KEY_INTS, TOTAL_DOUBLES, TX } from './hour-table.js';
import { type FlowIdRecorder, Hours } from './hours.js';
import { Interner } from './interner.js';
import { scanFlowBatch } from './json-batch-scanner.js';

/** With DATA_DIR: the tables as recovered from disk, and the journal that keeps them there. */
export interface DurableParts {
  names: Interner;
  hours: Hours;
  journal: BatchJournal;
}

/**
 * Totals in memory. Every ingest runs synchronously from decoding to the last total, so no reader
 * can run between its steps: a batch is seen whole or not at all. Each applied record is counted in
 * `window`, the minute window the scheduler closes. With `durable` (DATA_DIR), an applied batch is
 * answered once its journal has it on disk.
 */
export class MemoryFlowStore implements FlowStore {
  readonly #names: Interner;
  readonly #hours: Hours;
  readonly #journal: BatchJournal | undefined;
  readonly #window: FlowIdRecorder;
  readonly #batch = new ColumnarBatch();
  readonly #jsonCache = new HourJsonCache();

  constructor(window: FlowIdRecorder, durable?: DurableParts) {
    this.#window = window;
    this.#names = durable?.names ?? new Interner();
    this.#hours = durable?.hours ?? new Hours();
    this.#journal = durable?.journal;
  }

  async ingest(records: readonly FlowRecord[], options?: IngestOptions): Promise<void> {
    const batch = this.#batch;
    const namesBefore = this.#names.size;
    batch.fill(records, this.#names);
    this.#apply(batch, namesBefore);
    await this.#journal?.applied(batch, namesBefore, options?.idempotency);
  }

  /**
   * The fast path (see FlowStore): decodes, validates and applies the bytes in one synchronous step; with
   * a journal, the count comes once the batch is on disk.
   */
  ingestJson(body: Uint8Array, maxRecords: number, options?: IngestOptions): number | Promise<number> | undefined {
    const namesBefore = this.#names.size;
    const batch = this.#batch;
    if (!scanFlowBatch(body, maxRecords, this.#names, batch)) return undefined;
    this.#apply(batch, namesBefore);
    const accepted = batch.length;
    if (!this.#journal) return accepted;
    return this.#journal.applied(batch, namesBefore, options?.idempotency).then(() => accepted);
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

  /** The fast path for `GET /flows` (see FlowStore), cached while the hour does not change. */
  flowsForHourJson(hour: number): Buffer {
    const table = this.#hours.get(hour);
    if (!table) return Buffer.from('[]');
    return this.#jsonCache.get(table, () => writeHourJson(table, hour, this.#names));
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

  /** Applies the batch all-or-nothing; on overflow also forgets the names interned since `namesBefore`. */
  #apply(batch: ColumnarBatch, namesBefore: number): void {
    const overflowing = this.#hours.apply(batch, this.#window);
    if (overflowing < 0) return;
    const names = this.#names;
    const error = totalOverflow({
      src_app: names.string(batch.src[overflowing]),
      dest_app: names.string(batch.dest[overflowing]),
      vpc_id: names.string(batch.vpc[overflowing]),
      hour: batch.hour[overflowing],
    });
    names.truncate(namesBefore);
    throw error;
  }
}
