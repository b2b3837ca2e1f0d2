import type { FlowTotal } from '../../schemas/flow.js';
import { flowsJsonSize, writeHourJson } from './hour-json.js';
import { HourJsonCache, MAX_CACHED_BYTES } from './hour-json-cache.js';
import { HourJsonStream } from './hour-json-stream.js';
import { HourSnapshots } from './hour-snapshots.js';
import { type HourTable, KEY_INTS, TOTAL_DOUBLES, TX } from './hour-table.js';
import type { Interner } from './interner.js';

/** Snapshots held at once for streamed answers; one is always allowed, however large. */
const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;

/**
 * The answers of `GET /flows` from one hour's table: as objects, or as JSON written whole and cached
 * while the hour does not change, or, past `maxWholeAnswer` bytes, streamed from a snapshot shared by
 * its readers. The names are passed on every call, since name compaction replaces the interner.
 */
export class HourAnswers {
  readonly #cache = new HourJsonCache();
  readonly #snapshots = new HourSnapshots(MAX_SNAPSHOT_BYTES);

  constructor(private readonly maxWholeAnswer = MAX_CACHED_BYTES) {}

  flows(table: HourTable | undefined, hour: number, names: Interner): FlowTotal[] {
    if (!table) return [];
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

  json(table: HourTable | undefined, hour: number, names: Interner): Buffer | HourJsonStream {
    if (!table) return Buffer.from('[]');
    const cached = this.#cache.get(table);
    if (cached) return cached;
    const size = flowsJsonSize(table, hour, names, 0, table.count) + 2;
    if (size <= this.maxWholeAnswer) return this.#cache.put(table, writeHourJson(table, hour, names, size));
    const snapshot = this.#snapshots.acquire(table, names, size);
    return new HourJsonStream(snapshot, hour, () => this.#snapshots.release(snapshot));
  }

  /** Lets go of the cached answer of a table retention dropped. */
  forget(table: HourTable): void {
    this.#cache.forget(table);
  }

  /** Bytes of hour snapshots held for answers still being streamed. */
  get snapshotBytes(): number {
    return this.#snapshots.bytes;
  }
}
