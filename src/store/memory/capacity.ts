import { getHeapStatistics } from 'node:v8';
import type { Logger } from 'pino';
import { CapacityError } from '../../errors.js';
import type { CapacityStatus } from '../limits.js';
import type { Interner } from './interner.js';

/**
 * Memory a flow costs, with room to spare: bench/RESULTS.md measures 50 bytes at 1M flows and 69 at 5M
 * (the hour table just doubled), in typed arrays; plus the minute window's bits and the GET answer
 * written from the table.
 */
export const BYTES_PER_FLOW = 100;
/**
 * What a distinct name costs besides its JSON bytes: the string's header and padding in the JS heap and
 * its slot in the interner's list, counted generously (measured: about 42 heap bytes for a 10-character name).
 */
export const BYTES_PER_NAME = 40;

/**
 * The defaults of MAX_FLOWS and MAX_NAME_BYTES from the V8 heap limit, leaving the rest for requests in
 * flight, GET answers, Idempotency-Keys and the garbage collector's headroom. Flows live in typed arrays
 * outside the heap, so the heap limit stands for the memory the process was given; names live in the
 * heap (their strings), and are what exhausts a small heap first when every flow brings new ones.
 */
export function defaultBounds(heapSizeLimit = getHeapStatistics().heap_size_limit): {
  maxFlows: number;
  maxNameBytes: number;
  heapSizeLimit: number;
} {
  return {
    maxFlows: Math.floor(heapSizeLimit / 2 / BYTES_PER_FLOW),
    maxNameBytes: Math.floor(heapSizeLimit / 4),
    heapSizeLimit,
  };
}

/** The estimated memory of the first `size` names held: their JSON bytes plus BYTES_PER_NAME each. */
export function nameBytes(names: Interner, size = names.size): number {
  return names.jsonStart[size] + BYTES_PER_NAME * size;
}

const HIGH = 0.8;
const STATES = ['ok', 'high', 'full'] as const;

/**
 * MAX_FLOWS and MAX_NAME_BYTES, and the operator's view of them: the state reported by `/ready` and
 * `/metrics`, and one log line each time it changes.
 */
export class Capacity {
  readonly maxFlows: number;
  readonly maxNameBytes: number;
  readonly #log: Logger | undefined;
  #state: 0 | 1 | 2 = 0;

  constructor(maxFlows: number, maxNameBytes: number, log?: Logger) {
    this.maxFlows = maxFlows;
    this.maxNameBytes = maxNameBytes;
    this.#log = log;
  }

  /** The refusal of a batch that would create `newFlows` flows past MAX_FLOWS; marks the store full. */
  flowsRefused(flows: number, newFlows: number, names: number): Error {
    this.#enter(2, flows, names);
    return new CapacityError(
      `MAX_FLOWS is ${this.maxFlows} and ${flows} flows are held; the batch would add ${newFlows} new flows`,
    );
  }

  /**
   * Throws the refusal of a batch whose names interned from `namesBefore` on take the names past
   * MAX_NAME_BYTES; unless `afterDrop`, the names left once the hours the batch expires are dropped, fit.
   */
  checkNames(names: Interner, namesBefore: number, flows: number, afterDrop?: () => number): void {
    if (names.size === namesBefore) return;
    const after = nameBytes(names);
    if (after <= this.maxNameBytes || (afterDrop && afterDrop() <= this.maxNameBytes)) return;
    const before = nameBytes(names, namesBefore);
    this.#enter(2, flows, before);
    throw new CapacityError(
      `MAX_NAME_BYTES is ${this.maxNameBytes} and the names held take ${before}; the batch's new names would bring them to ${after}`,
    );
  }

  /** Called after every change of the store: moves the state when usage crosses 80 % or 100 %. */
  observe(flows: number, names: number): void {
    const usage = Math.max(flows / this.maxFlows, names / this.maxNameBytes);
    if (usage < HIGH) {
      if (this.#state !== 0) this.#enter(0, flows, names);
    } else if (usage >= 1) {
      if (this.#state !== 2) this.#enter(2, flows, names);
    } else if (this.#state === 0) this.#enter(1, flows, names);
  }

  status(flows: number, names: number): CapacityStatus {
    return {
      state: STATES[this.#state],
      flows,
      max_flows: this.maxFlows,
      name_bytes: names,
      max_name_bytes: this.maxNameBytes,
    };
  }

  #enter(state: 0 | 1 | 2, flows: number, names: number): void {
    if (state === this.#state) return;
    this.#state = state;
    const usage = { flows, maxFlows: this.maxFlows, nameBytes: names, maxNameBytes: this.maxNameBytes };
    if (state === 2) {
      this.#log?.error(
        usage,
        'in-memory store full: batches with new flows are refused (507 FLOWS_ERR_CAPACITY) until retention drops hours or MAX_FLOWS / MAX_NAME_BYTES is raised',
      );
    } else if (state === 1) {
      this.#log?.warn(usage, 'in-memory store at 80 % of MAX_FLOWS or MAX_NAME_BYTES; new flows are refused at 100 %');
    } else this.#log?.info(usage, 'in-memory store back under 80 % of MAX_FLOWS and MAX_NAME_BYTES');
  }
}
