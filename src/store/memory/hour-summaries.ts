import { ExactSum } from '../../queries/exact-integer.js';
import type { HourSummary } from '../../queries/flow-queries.js';
import type { HourTable } from './hour-table.js';
import { TOTAL_DOUBLES, TX } from './hour-table.js';
import type { Hours } from './hours.js';

/**
 * `GET /hours`: per hour in the range that has flows, its flow count and byte totals. An hour's sums
 * are kept with the table's version, so an hour that has not changed since (most past hours) is not
 * summed again; a table that is dropped takes its entry with it (WeakMap).
 */
export class HourSummaries {
  readonly #cache = new WeakMap<HourTable, { version: number; summary: HourSummary }>();

  between(hours: Hours, from: number, to: number): HourSummary[] {
    const summaries: HourSummary[] = [];
    for (let hour = from; hour <= to; hour++) {
      const table = hours.get(hour);
      if (table && table.count > 0) summaries.push(this.#summary(table, hour));
    }
    return summaries;
  }

  #summary(table: HourTable, hour: number): HourSummary {
    const cached = this.#cache.get(table);
    if (cached?.version === table.version) return cached.summary;
    const tx = new ExactSum();
    const rx = new ExactSum();
    const { totals, count } = table;
    for (let i = 0; i < count; i++) {
      tx.add(totals[i * TOTAL_DOUBLES + TX]);
      rx.add(totals[i * TOTAL_DOUBLES + TX + 1]);
    }
    const summary = { hour, flows: count, bytes_tx: tx.value, bytes_rx: rx.value };
    this.#cache.set(table, { version: table.version, summary });
    return summary;
  }
}
