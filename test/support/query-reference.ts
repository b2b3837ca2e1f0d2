import { exact } from '../../src/queries/exact-integer.js';
import type { GroupSums, HourSummary, TopGroups, TopQuery, TopRow } from '../../src/queries/flow-queries.js';
import type { FlowRecord } from '../../src/schemas/flow.js';

/**
 * The obvious answers to the range queries, to hold the stores to: every record summed per flow-hour
 * in a Map, then per group with BigInt, every group sorted (names compared as UTF-8 bytes), sliced.
 */
function flowHours(records: FlowRecord[]) {
  const flows = new Map<string, { record: FlowRecord; tx: bigint; rx: bigint }>();
  for (const r of records) {
    const key = JSON.stringify([r.src_app, r.dest_app, r.vpc_id, r.hour]);
    const flow = flows.get(key) ?? { record: r, tx: 0n, rx: 0n };
    flow.tx += BigInt(r.bytes_tx);
    flow.rx += BigInt(r.bytes_rx);
    flows.set(key, flow);
  }
  return [...flows.values()];
}

export function referenceHours(records: FlowRecord[], from: number, to: number): HourSummary[] {
  const hours = new Map<number, { flows: number; tx: bigint; rx: bigint }>();
  for (const { record, tx, rx } of flowHours(records)) {
    if (record.hour < from || record.hour > to) continue;
    const h = hours.get(record.hour) ?? { flows: 0, tx: 0n, rx: 0n };
    h.flows++;
    h.tx += tx;
    h.rx += rx;
    hours.set(record.hour, h);
  }
  return [...hours]
    .sort(([a], [b]) => a - b)
    .map(([hour, h]) => ({ hour, flows: h.flows, bytes_tx: exact(h.tx), bytes_rx: exact(h.rx) }));
}

interface Group {
  key: Record<string, string | number>;
  tx: bigint;
  rx: bigint;
  flows: number;
}

export function referenceTop(records: FlowRecord[], query: TopQuery): TopGroups {
  const groups = new Map<string, Group>();
  for (const { record, tx, rx } of flowHours(records)) {
    if (record.hour < query.from_hour || record.hour > query.to_hour) continue;
    const filters = Object.entries(query.filters) as [keyof FlowRecord, string[]][];
    if (filters.some(([d, names]) => !names.includes(record[d] as string))) continue;
    const key = Object.fromEntries(query.by.map((d) => [d, record[d]]));
    const id = JSON.stringify(key);
    const group = groups.get(id) ?? { key, tx: 0n, rx: 0n, flows: 0 };
    group.tx += tx;
    group.rx += rx;
    group.flows++;
    groups.set(id, group);
  }
  const metric = (g: Group) => (query.metric === 'bytes_tx' ? g.tx : query.metric === 'bytes_rx' ? g.rx : g.tx + g.rx);
  const sorted = [...groups.values()].sort((a, b) => {
    if (metric(a) !== metric(b)) return metric(a) > metric(b) ? -1 : 1;
    for (const d of query.by) {
      const [x, y] = [a.key[d], b.key[d]];
      if (x === y) continue;
      return typeof x === 'number' ? x - (y as number) : Buffer.compare(Buffer.from(x), Buffer.from(y as string));
    }
    return 0;
  });
  const sums = (list: Group[]): GroupSums => {
    const tx = list.reduce((s, g) => s + g.tx, 0n);
    const rx = list.reduce((s, g) => s + g.rx, 0n);
    const flows = list.reduce((s, g) => s + g.flows, 0);
    return { groups: list.length, bytes_tx: exact(tx), bytes_rx: exact(rx), bytes: exact(tx + rx), flows };
  };
  const rows: TopRow[] = sorted.slice(0, query.limit).map((g) => {
    const { groups: _one, ...row } = sums([g]);
    return { ...g.key, ...row };
  });
  return { rows, total: sums(sorted) };
}

/** The other row as the reference sees it: the groups past the limit, summed. */
export function referenceOther(records: FlowRecord[], query: TopQuery): GroupSums {
  const all = referenceTop(records, { ...query, limit: Number.MAX_SAFE_INTEGER });
  const rest = all.rows.slice(query.limit);
  const sum = (f: 'bytes_tx' | 'bytes_rx' | 'bytes') => exact(rest.reduce((s, r) => s + BigInt(r[f]), 0n));
  return {
    groups: rest.length,
    bytes_tx: sum('bytes_tx'),
    bytes_rx: sum('bytes_rx'),
    bytes: sum('bytes'),
    flows: rest.reduce((s, r) => s + r.flows, 0),
  };
}
