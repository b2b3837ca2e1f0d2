import type { PreparedBatch } from './batch.js';

/** Distinct (minute, flow) keys and per-minute sums for the shared minute counts. */
export interface MinuteColumns {
  keyMinute: number[];
  keyHour: number[];
  keySrc: string[];
  keyDest: string[];
  keyVpc: string[];
  statMinute: number[];
  statRecords: number[];
  statTx: string[];
  statRx: string[];
}

export function minuteColumns(batches: readonly PreparedBatch[]): MinuteColumns {
  const seen = new Set<string>();
  const stats = new Map<number, { records: number; tx: bigint; rx: bigint }>();
  const cols: MinuteColumns = {
    keyMinute: [],
    keyHour: [],
    keySrc: [],
    keyDest: [],
    keyVpc: [],
    statMinute: [],
    statRecords: [],
    statTx: [],
    statRx: [],
  };
  for (const batch of batches) {
    // An empty batch is only written for its Idempotency-Key; it adds nothing to any window.
    if (batch.records === 0) continue;
    const stat = stats.get(batch.minute) ?? { records: 0, tx: 0n, rx: 0n };
    stats.set(batch.minute, stat);
    stat.records += batch.records;
    for (const f of batch.flows.values()) {
      // Bytes per minute can pass 2^53 across many flows; BigInt keeps the sum exact on its way to NUMERIC.
      stat.tx += BigInt(f.tx);
      stat.rx += BigInt(f.rx);
      const key = `${batch.minute}\u0000${f.key}`;
      if (seen.has(key)) continue;
      seen.add(key);
      cols.keyMinute.push(batch.minute);
      cols.keyHour.push(f.hour);
      cols.keySrc.push(f.src_app);
      cols.keyDest.push(f.dest_app);
      cols.keyVpc.push(f.vpc_id);
    }
  }
  for (const [minute, stat] of stats) {
    cols.statMinute.push(minute);
    cols.statRecords.push(stat.records);
    cols.statTx.push(stat.tx.toString());
    cols.statRx.push(stat.rx.toString());
  }
  return cols;
}
