/**
 * Slot bookkeeping shared by the open-addressing tables of the in-memory store (the interner and the
 * hour tables): each slot holds an entry number, or EMPTY; collisions probe the next slot.
 */
export const EMPTY = -1;

/**
 * Forgets entries [from, count) (a rejected batch's), newest first. Exact with linear probing as long as
 * they are the most recently inserted: no remaining entry was inserted after them, so none probed past
 * their slots, and every remaining probe chain stays intact.
 */
export function clearSlots(
  slots: Int32Array,
  mask: number,
  from: number,
  count: number,
  hashOf: (entry: number) => number,
): void {
  for (let entry = count - 1; entry >= from; entry--) {
    let slot = hashOf(entry) & mask;
    while (slots[slot] !== entry) slot = (slot + 1) & mask;
    slots[slot] = EMPTY;
  }
}

/** `capacity` (a power of two) fresh slots holding entries [0, count). */
export function rebuildSlots(
  capacity: number,
  count: number,
  hashOf: (entry: number) => number,
): Int32Array<ArrayBuffer> {
  const slots = new Int32Array(capacity).fill(EMPTY);
  const mask = capacity - 1;
  for (let entry = 0; entry < count; entry++) {
    let slot = hashOf(entry) & mask;
    while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    slots[slot] = entry;
  }
  return slots;
}
