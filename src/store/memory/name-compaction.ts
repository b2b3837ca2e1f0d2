import { BYTES_PER_NAME } from './capacity.js';
import type { ColumnarBatch } from './columnar-batch.js';
import type { HourTable } from './hour-table.js';
import { KEY_INTS } from './hour-table.js';
import { Interner } from './interner.js';

/** Fewer dead names than this are not worth a rebuild. */
const MIN_DEAD_NAMES = 1024;

/**
 * Names are interned for good, but retention drops the flows that use them: with agents that keep
 * inventing names (new pods, new hosts), dead names would fill MAX_NAME_BYTES while the flows come and
 * go. So after retention drops hours, the names no remaining flow uses are counted, and when they are at
 * least as many as the live ones (or the names are past their bound), the interner is rebuilt with the
 * live names only and every table's keys are renumbered. That is a pass over every flow, at most once per
 * dropped hour, and in the common case only when it frees at least half the names.
 *
 * Returns the new interner, or undefined when it kept the old one.
 */
export function compactNames(names: Interner, tables: readonly HourTable[], force: boolean): Interner | undefined {
  const live = liveNames(names, tables);
  let liveCount = 0;
  for (let id = 0; id < live.length; id++) liveCount += live[id];
  const dead = names.size - liveCount;
  if (!force && (dead < MIN_DEAD_NAMES || dead < liveCount)) return undefined;
  const fresh = new Interner();
  const remap = new Int32Array(names.size);
  for (let id = 0; id < names.size; id++) if (live[id]) remap[id] = fresh.id(names.string(id));
  for (const table of tables) table.renumber(remap);
  return fresh;
}

/**
 * The estimated bytes (see capacity.ts) of the names the store would hold after compacting: those used by
 * `tables` (the hours kept) or by the batch. For a batch refused against MAX_NAME_BYTES that also expires
 * hours: what their names free counts in its favour.
 */
export function liveNameBytes(names: Interner, tables: readonly HourTable[], batch: ColumnarBatch): number {
  const live = liveNames(names, tables);
  for (let i = 0; i < batch.length; i++) live[batch.src[i]] = live[batch.dest[i]] = live[batch.vpc[i]] = 1;
  let bytes = 0;
  const starts = names.jsonStart;
  for (let id = 0; id < live.length; id++) if (live[id]) bytes += starts[id + 1] - starts[id] + BYTES_PER_NAME;
  return bytes;
}

function liveNames(names: Interner, tables: readonly HourTable[]): Uint8Array {
  const live = new Uint8Array(names.size);
  for (const table of tables) {
    const keys = table.keys;
    for (let k = 0; k < table.count * KEY_INTS; k += KEY_INTS)
      live[keys[k]] = live[keys[k + 1]] = live[keys[k + 2]] = 1;
  }
  return live;
}
