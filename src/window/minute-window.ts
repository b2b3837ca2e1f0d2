export type FlowKey = number | string;

export interface MinuteCount {
  /** Start of the window, ISO 8601 UTC. */
  minute: string;
  unique_flows: number;
  records: number;
  bytes_tx: number;
  bytes_rx: number;
  /** Present when the window was cut short by shutdown. */
  partial?: true;
}

class WindowSet {
  readonly keys = new Set<FlowKey>();
  records = 0;
  bytesTx = 0;
  bytesRx = 0;

  clear(): void {
    this.keys.clear();
    this.records = 0;
    this.bytesTx = 0;
    this.bytesRx = 0;
  }
}

/**
 * Primary and secondary sets of flow keys. Writes go to the primary; `rotate` swaps the two in one
 * step, counts the now-inactive set and clears it, so a record is counted in exactly one window.
 */
export class MinuteWindow {
  #primary = new WindowSet();
  #secondary = new WindowSet();
  #startedAt: number;

  constructor(startedAt: number) {
    this.#startedAt = startedAt;
  }

  record(key: FlowKey, bytesTx: number, bytesRx: number): void {
    const set = this.#primary;
    set.keys.add(key);
    set.records++;
    set.bytesTx += bytesTx;
    set.bytesRx += bytesRx;
  }

  /** Closes the current window at `now` and opens the next one. */
  rotate(now: number, partial = false): MinuteCount {
    const closed = this.#primary;
    this.#primary = this.#secondary;
    this.#secondary = closed;
    const count: MinuteCount = {
      minute: new Date(this.#startedAt).toISOString(),
      unique_flows: closed.keys.size,
      records: closed.records,
      bytes_tx: closed.bytesTx,
      bytes_rx: closed.bytesRx,
    };
    if (partial) count.partial = true;
    closed.clear();
    this.#startedAt = now;
    return count;
  }
}
