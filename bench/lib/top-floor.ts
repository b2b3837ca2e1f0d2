/**
 * What a user can do today to get the top talkers of an hour: GET the whole hour and sum it in the
 * client. Returns the same rows as `GET /flows/top?by=src_app&limit=N` (metric bytes), so the
 * benchmarks can check that the service and the floor agree before timing them.
 */
export async function topBySourceInClient(base: string, hour: number, limit: number) {
  const res = await fetch(`${base}/flows?hour=${hour}`);
  if (res.status !== 200) throw new Error(`GET /flows?hour=${hour}: ${res.status}`);
  const flows = (await res.json()) as { src_app: string; bytes_tx: number; bytes_rx: number }[];
  const groups = new Map<string, { bytes_tx: number; bytes_rx: number; flows: number }>();
  for (const f of flows) {
    const g = groups.get(f.src_app) ?? { bytes_tx: 0, bytes_rx: 0, flows: 0 };
    g.bytes_tx += f.bytes_tx;
    g.bytes_rx += f.bytes_rx;
    g.flows++;
    groups.set(f.src_app, g);
  }
  return [...groups]
    .map(([src_app, g]) => ({ src_app, ...g, bytes: g.bytes_tx + g.bytes_rx }))
    .sort((a, b) => b.bytes - a.bytes || (a.src_app < b.src_app ? -1 : 1))
    .slice(0, limit);
}

/** `GET /flows/top` for one hour by src_app; its rows. */
export async function topBySource(base: string, hour: number, limit: number) {
  const res = await fetch(`${base}/flows/top?from_hour=${hour}&to_hour=${hour}&by=src_app&limit=${limit}`);
  if (res.status !== 200) throw new Error(`GET /flows/top: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { rows: unknown[] }).rows;
}

/** Fails unless both give the same rows (key order aside). */
export function checkSameRows(service: unknown[], floor: unknown[]): void {
  const canonical = (rows: unknown[]) =>
    JSON.stringify(rows.map((r) => Object.fromEntries(Object.entries(r as object).sort())));
  if (canonical(service) !== canonical(floor)) {
    throw new Error(`the service and the floor disagree:\n${canonical(service)}\n${canonical(floor)}`);
  }
}
