import { AnswersBusyError } from '../../errors.js';
import type { FlowRows } from './hour-json.js';
import { FLOW_BYTES, type HourTable } from './hour-table.js';
import type { Interner } from './interner.js';

/**
 * A copy of an hour's flows as they were at one version, the interner their name ids belong to (name
 * compaction replaces the store's interner and renumbers the tables, leaving this one as it was), and
 * the size of its JSON answer.
 */
export interface HourSnapshot extends FlowRows {
  readonly names: Interner;
  readonly bytes: number;
  readonly jsonSize: number;
}

interface Entry {
  table: HourTable;
  version: number;
  readers: number;
}

/**
 * Copies of hour tables for answers streamed to clients: a table may change while a slow client reads,
 * and a reader must never see part of a batch. Readers of the same version share one copy (32 bytes a
 * flow, about a quarter of the JSON), dropped when the last of them is done. Past `maxBytes` of copies,
 * a new one is refused (503) unless it would be the only one: a slow reader then holds back others, not
 * the process's memory.
 */
export class HourSnapshots {
  readonly #maxBytes: number;
  readonly #entries = new Map<HourSnapshot, Entry>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes held by copies that some reader still uses. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The table's flows as they are now, their names in `names` (their answer `jsonSize` bytes long),
   * shared with the other readers of this version; `release` it when done.
   */
  acquire(table: HourTable, names: Interner, jsonSize: number): HourSnapshot {
    for (const [snapshot, entry] of this.#entries) {
      if (entry.table === table && entry.version === table.version) {
        entry.readers++;
        return snapshot;
      }
    }
    const bytes = table.count * FLOW_BYTES;
    if (this.#entries.size > 0 && this.#bytes + bytes > this.#maxBytes) throw new AnswersBusyError();
    // One buffer holds keys and totals, as in the table: one copy of it.
    const flows = table.keys.buffer.slice(0, bytes);
    const snapshot = {
      keys: new Int32Array(flows),
      totals: new Float64Array(flows),
      count: table.count,
      names,
      bytes,
      jsonSize,
    };
    this.#entries.set(snapshot, { table, version: table.version, readers: 1 });
    this.#bytes += bytes;
    return snapshot;
  }

  release(snapshot: HourSnapshot): void {
    const entry = this.#entries.get(snapshot);
    if (!entry || --entry.readers > 0) return;
    this.#entries.delete(snapshot);
    this.#bytes -= snapshot.bytes;
  }
}
