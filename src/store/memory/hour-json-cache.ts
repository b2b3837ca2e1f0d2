import type { HourTable } from './hour-table.js';

const CACHED_HOURS = 2;
/** The store's default bound on an answer written whole (and so cached); larger ones (from about 300k flows) are streamed. */
export const MAX_CACHED_BYTES = 32 * 1024 * 1024;

/**
 * The last few `GET /flows` answers. Past hours are read far more often than they change, so an answer
 * is served again until a batch touches its hour (`version`). Bounded to CACHED_HOURS entries, each at
 * most the store's bound on whole answers.
 */
export class HourJsonCache {
  readonly #entries: { table: HourTable; version: number; json: Buffer }[] = [];

  /** The answer for `table` at its current version, when cached. */
  get(table: HourTable): Buffer | undefined {
    const entry = this.#entries.find((e) => e.table === table);
    return entry?.version === table.version ? entry.json : undefined;
  }

  /** Keeps `json` as the answer for `table` at its current version, and returns it. */
  put(table: HourTable, json: Buffer): Buffer {
    const at = this.#entries.findIndex((e) => e.table === table);
    if (at >= 0) this.#entries.splice(at, 1);
    this.#entries.unshift({ table, version: table.version, json });
    if (this.#entries.length > CACHED_HOURS) this.#entries.pop();
    return json;
  }

  /** Lets go of the answer for a table retention dropped. */
  forget(table: HourTable): void {
    const at = this.#entries.findIndex((entry) => entry.table === table);
    if (at >= 0) this.#entries.splice(at, 1);
  }
}
