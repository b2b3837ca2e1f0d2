import type { HourTable } from './hour-table.js';
import { KEY_INTS } from './hour-table.js';
import { Interner } from './interner.js';

/** Fewer dead names than this are not worth a rebuild. */
const MIN_DEAD_NAMES = 1024;

/**
 * Names are interned for good, but retention drops the flows that use them: with agents that keep
 * inventing names (new pods, new hosts), dead names would fill MAX_NAME_BYTES while the flows come and
 * go. So after retention drops hours, the names no remaining flow uses are counted, and when they are at
 * least as many as the live ones, the interner is rebuilt with the live names only and every table's keys
 * are renumbered. That costs a pass over every flow, at most once per dropped hour, and only pays off (and
 * happens) when at least half the names are dead, so its cost is bounded by the names it frees.
 *
 * Returns the new interner, or undefined when it kept the old one.
 */
export function compactNames(names: Interner, tables: readonly HourTable[]): Interner | undefined {
  const live = new Uint8Array(names.size);
  for (const table of tables) {
    const keys = table.keys;
    for (let k = 0; k < table.count * KEY_INTS; k += KEY_INTS) {
      live[keys[k]] = 1;
      live[keys[k + 1]] = 1;
      live[keys[k + 2]] = 1;
    }
  }
  let liveCount = 0;
  for (let id = 0; id < live.length; id++) liveCount += live[id];
  const dead = names.size - liveCount;
  if (dead < MIN_DEAD_NAMES || dead < liveCount) return undefined;
  const fresh = new Interner();
  const remap = new Int32Array(names.size);
  for (let id = 0; id < names.size; id++) if (live[id]) remap[id] = fresh.id(names.string(id));
  for (const table of tables) table.renumber(remap);
  return fresh;
}
