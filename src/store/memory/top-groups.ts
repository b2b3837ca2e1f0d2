import { addExact, type ExactInteger } from '../../queries/exact-integer.js';
import {
  compareCodePoints,
  type Dimension,
  NAME_DIMENSIONS,
  type NameDimension,
  noSums,
  type TopGroups,
  type TopQuery,
  type TopRow,
} from '../../queries/flow-queries.js';
import { bestOf } from './best-of.js';
import { GROUP_KEY_INTS, GroupTable } from './group-table.js';
import { KEY_INTS, TOTAL_DOUBLES, TX } from './hour-table.js';
import type { Hours } from './hours.js';
import type { Interner } from './interner.js';

/** Where each dimension sits in a group's key (and, for names, in a flow's key). */
const KEY_AT: Record<Dimension, number> = { src_app: 0, dest_app: 1, vpc_id: 2, hour: 3 };

/**
 * `GET /flows/top` over the hour tables, in place: filters become name-id masks (a name never seen
 * matches nothing), each flow-hour in the range is added to its group, and a bounded heap keeps the
 * best `limit` groups. One synchronous pass, so it sees each batch whole or not at all.
 */
export function topGroups(hours: Hours, names: Interner, query: TopQuery): TopGroups {
  const masks = filterMasks(names, query.filters);
  if (!masks) return { rows: [], total: noSums() };
  const [srcMask, destMask, vpcMask] = masks;
  // All ones keeps a key part, zero folds every flow into one value of that dimension.
  const keep = (d: Dimension) => (query.by.includes(d) ? -1 : 0);
  const [keepSrc, keepDest, keepVpc, keepHour] = [keep('src_app'), keep('dest_app'), keep('vpc_id'), keep('hour')];
  const groups = new GroupTable();
  for (let hour = query.from_hour; hour <= query.to_hour; hour++) {
    const table = hours.get(hour);
    if (!table) continue;
    const { keys, totals, count } = table;
    for (let i = 0; i < count; i++) {
      const k = i * KEY_INTS;
      const src = keys[k];
      const dest = keys[k + 1];
      const vpc = keys[k + 2];
      if ((srcMask && !srcMask[src]) || (destMask && !destMask[dest]) || (vpcMask && !vpcMask[vpc])) continue;
      const t = i * TOTAL_DOUBLES + TX;
      groups.add(src & keepSrc, dest & keepDest, vpc & keepVpc, hour & keepHour, totals[t], totals[t + 1]);
    }
  }
  const best = bestOf(groups.count, query.limit, groupOrder(groups, names, query));
  const total = groups.total();
  return {
    rows: best.map((g) => row(groups, names, query.by, g)),
    total: { groups: groups.count, ...total, bytes: addExact(total.bytes_tx, total.bytes_rx) },
  };
}

/** Per filtered dimension, a mask over name ids; undefined when a filter matches no name at all. */
function filterMasks(names: Interner, filters: TopQuery['filters']): (Uint8Array | undefined)[] | undefined {
  const masks: (Uint8Array | undefined)[] = [];
  for (const dimension of NAME_DIMENSIONS) {
    const wanted = filters[dimension];
    if (!wanted) {
      masks.push(undefined);
      continue;
    }
    const ids = wanted.map((name) => names.find(name)).filter((id) => id >= 0);
    if (ids.length === 0) return undefined;
    const mask = new Uint8Array(names.size);
    for (const id of ids) mask[id] = 1;
    masks.push(mask);
  }
  return masks;
}

/** The metric descending, then the `by` fields ascending (names by code point, hours by number). */
function groupOrder(groups: GroupTable, names: Interner, query: TopQuery): (a: number, b: number) => number {
  const metric: (g: number) => ExactInteger =
    query.metric === 'bytes_tx'
      ? (g) => groups.bytesTx(g)
      : query.metric === 'bytes_rx'
        ? (g) => groups.bytesRx(g)
        : (g) => groups.bytes(g);
  const keys = groups.keys;
  return (a, b) => {
    const ma = metric(a);
    const mb = metric(b);
    if (ma !== mb) return ma > mb ? -1 : 1;
    for (const d of query.by) {
      const ka = keys[a * GROUP_KEY_INTS + KEY_AT[d]];
      const kb = keys[b * GROUP_KEY_INTS + KEY_AT[d]];
      if (ka === kb) continue;
      return d === 'hour' ? ka - kb : compareCodePoints(names.string(ka), names.string(kb));
    }
    return 0;
  };
}

function row(groups: GroupTable, names: Interner, by: Dimension[], g: number): TopRow {
  const fields: Partial<Record<NameDimension, string>> & { hour?: number } = {};
  for (const d of by) {
    const key = groups.keys[g * GROUP_KEY_INTS + KEY_AT[d]];
    if (d === 'hour') fields.hour = key;
    else fields[d] = names.string(key);
  }
  const bytes_tx = groups.bytesTx(g);
  const bytes_rx = groups.bytesRx(g);
  return { ...fields, bytes_tx, bytes_rx, bytes: addExact(bytes_tx, bytes_rx), flows: groups.flows(g) };
}
