import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRecord, FlowTotal } from '../../../src/schemas/flow.js';
import { build, record, seededRandom } from '../../support/helper.js';

// Real HTTP on an ephemeral port, so requests interleave as they would from many agents.
const { app } = build();
let base: string;
beforeAll(async () => {
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => app.close());

const WRITERS = 16;
const BATCHES_PER_WRITER = 25;

/**
 * Every batch adds the same amount to the two shared flows "left" and "right", and to every flow it adds
 * rx = 2 * tx. So a reader that ever sees left != right has seen half a batch, and one that sees
 * rx != 2 * tx has seen a torn flow.
 */
function batchFor(writer: number, n: number, random: (below: number) => number): FlowRecord[] {
  const amount = 1 + Math.floor(random(1_000_000));
  const own = record({ src_app: `writer-${writer}`, dest_app: 'sink', bytes_tx: n, bytes_rx: 2 * n });
  const filler = Array.from({ length: 20 }, (_, i) =>
    record({ src_app: `w${writer}`, dest_app: `d${i}`, bytes_tx: i, bytes_rx: 2 * i }),
  );
  return [
    record({ src_app: 'left', bytes_tx: amount, bytes_rx: 2 * amount }),
    ...filler,
    own,
    record({ src_app: 'right', bytes_tx: amount, bytes_rx: 2 * amount }),
  ];
}

async function readHour(): Promise<FlowTotal[]> {
  const res = await fetch(`${base}/flows?hour=1`);
  expect(res.status).toBe(200);
  return (await res.json()) as FlowTotal[];
}

describe('many concurrent writers and readers', () => {
  it('totals are the exact sums and no reader sees a torn batch or flow', async () => {
    const expected = new Map<string, { tx: number; rx: number }>();
    const batches: FlowRecord[][][] = [];
    for (let w = 0; w < WRITERS; w++) {
      const random = seededRandom(w + 1);
      batches.push(Array.from({ length: BATCHES_PER_WRITER }, (_, n) => batchFor(w, n, random)));
      for (const r of batches[w].flat()) {
        const key = `${r.src_app}|${r.dest_app}`;
        const t = expected.get(key) ?? { tx: 0, rx: 0 };
        t.tx += r.bytes_tx;
        t.rx += r.bytes_rx;
        expected.set(key, t);
      }
    }

    let writing = true;
    const readsSeen: number[] = [];
    const reader = async () => {
      let reads = 0;
      while (writing) {
        const flows = await readHour();
        const left = flows.find((f) => f.src_app === 'left');
        const right = flows.find((f) => f.src_app === 'right');
        expect(left?.bytes_tx).toBe(right?.bytes_tx);
        for (const f of flows) expect(f.bytes_rx).toBe(2 * f.bytes_tx);
        reads++;
      }
      readsSeen.push(reads);
    };
    const writer = async (w: number) => {
      for (const batch of batches[w]) {
        const res = await fetch(`${base}/flows`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        });
        expect(res.status).toBe(200);
      }
    };

    const readers = [reader(), reader(), reader()];
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    writing = false;
    await Promise.all(readers);

    expect(readsSeen.every((n) => n > 0)).toBe(true);
    const flows = await readHour();
    expect(flows).toHaveLength(expected.size);
    for (const f of flows) {
      expect({ tx: f.bytes_tx, rx: f.bytes_rx }).toEqual(expected.get(`${f.src_app}|${f.dest_app}`));
    }
  });
});
