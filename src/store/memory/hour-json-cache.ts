import type { HourTable } from './hour-table.js';

const CACHED_HOURS = 2;
/** A larger answer (about 200k flows) is not kept: memory matters more than a repeated read of it. */
const MAX_CACHED_BYTES = 32 * 1024 * 1024;

/**
 * The last few `GET /flows` answers. Past hours are read far more often than they change, so an answer
 * is served again until a batch touches its hour (`version`). Bounded to CACHED_HOURS entries of at most
 * MAX_CACHED_BYTES each.
 */
export class HourJsonCache {
  readonly #entries: { table: HourTable; version: number; json: Buffer }[] = [];

  /** The answer for `table`, from the cache when it is fresh, else from `write` (and then cached). */
  get(table: HourTable, write: () => Buffer): Buffer {
    const entries = this.#entries;
    const at = entries.findIndex((entry) => entry.table === table);
    if (at >= 0 && entries[at].version === table.version) return entries[at].json;
    const json = write();
    if (at >= 0) entries.splice(at, 1);
    if (json.length > MAX_CACHED_BYTES) return json;
    entries.unshift({ table, version: table.version, json });
    if (entries.length > CACHED_HOURS) entries.pop();
    return json;
  }

  /** Lets go of the answer for a table retention dropped. */
  forget(table: HourTable): void {
    const at = this.#entries.findIndex((entry) => entry.table === table);
    if (at >= 0) this.#entries.splice(at, 1);
  }
}
