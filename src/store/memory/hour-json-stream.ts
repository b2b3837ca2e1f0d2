import { Readable } from 'node:stream';
import { allocate, flowsJsonSize, writeFlows } from './hour-json.js';
import type { HourSnapshot } from './hour-snapshots.js';

/** About 50 kB a chunk with short names: what a reader's stream holds while it waits. */
const FLOWS_PER_CHUNK = 512;

/**
 * A large `GET /flows` answer, written chunk by chunk from a snapshot as the client reads it
 * (backpressure: `_read` runs only when the socket wants more), so a slow client holds a chunk, not a
 * copy of the answer. `release` runs once, when the answer is sent or the client is gone.
 */
export class HourJsonStream extends Readable {
  /** Bytes of the whole answer, for Content-Length. */
  readonly size: number;
  readonly #snapshot: HourSnapshot;
  readonly #hour: number;
  #release: (() => void) | undefined;
  #next = 0;

  constructor(snapshot: HourSnapshot, hour: number, release: () => void) {
    super();
    this.size = snapshot.jsonSize;
    this.#snapshot = snapshot;
    this.#hour = hour;
    this.#release = release;
  }

  override _read(): void {
    const rows = this.#snapshot;
    const from = this.#next;
    const to = Math.min(rows.count, from + FLOWS_PER_CHUNK);
    const last = to === rows.count;
    // `[` or `,` before the chunk's flows, and `]` after the last.
    const { buffer, view } = allocate(1 + flowsJsonSize(rows, this.#hour, rows.names, from, to) + (last ? 1 : 0));
    view[0] = from === 0 ? 0x5b : 0x2c;
    const at = writeFlows(rows, this.#hour, rows.names, from, to, view, 1);
    if (last) view[at] = 0x5d;
    this.#next = to;
    this.push(buffer);
    if (last) this.push(null);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#release?.();
    this.#release = undefined;
    callback(err);
  }
}
