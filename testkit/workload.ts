/**
 * Deterministic flows and record batches, the same for the service and its floor. Names repeat as in
 * real traffic: flow i is (app-(i mod 1000), svc-(i div 1000 mod 1000), vpc-(i div 10^6)), so a million
 * flows share about two thousand names.
 */
export interface Flow {
  src_app: string;
  dest_app: string;
  vpc_id: string;
}

export function flow(i: number): Flow {
  return {
    src_app: `app-${i % 1000}`,
    dest_app: `svc-${Math.floor(i / 1000) % 1000}`,
    vpc_id: `vpc-${Math.floor(i / 1e6)}`,
  };
}

/** mulberry32: small, seedable, fast. */
export function random(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * below);
  };
}

function recordJson(i: number, hour: number, next: (below: number) => number): string {
  const f = flow(i);
  return `{"src_app":"${f.src_app}","dest_app":"${f.dest_app}","vpc_id":"${f.vpc_id}","bytes_tx":${next(1e6)},"bytes_rx":${next(1e7)},"hour":${hour}}`;
}

/** `count` bodies of `size` records drawn at random from flows [0, pool) of `hour`. */
export function randomBatches(count: number, size: number, pool: number, hour: number, seed = 1): string[] {
  const next = random(seed);
  return Array.from({ length: count }, () => {
    const records = new Array<string>(size);
    for (let r = 0; r < size; r++) records[r] = recordJson(next(pool), hour, next);
    return `[${records.join(',')}]`;
  });
}

/** Bodies that together hold every flow [0, flows) of `hour` once, `size` records each. */
export function* loadingBatches(flows: number, size: number, hour: number): Generator<string> {
  const next = random(flows);
  for (let start = 0; start < flows; start += size) {
    const records: string[] = [];
    for (let i = start; i < Math.min(flows, start + size); i++) records.push(recordJson(i, hour, next));
    yield `[${records.join(',')}]`;
  }
}
