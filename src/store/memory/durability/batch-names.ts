import type { ColumnarBatch } from '../columnar-batch.js';
import { grown } from '../grown.js';

/**
 * The distinct names of one batch, numbered in order of first use, and the batch's src, dest and vpc
 * columns as those numbers: what a log record holds instead of the store's name ids, which name
 * compaction renumbers (see batch-codec.ts). Reused from batch to batch: it allocates only to grow.
 */
export class BatchNames {
  /** Per store name id: its number in the batch, or -1. */
  #numberOf = new Int32Array(1024).fill(-1);
  /** The store name ids of the batch's names, by number. */
  ids = new Int32Array(256);
  count = 0;
  /** src numbers, then dest numbers, then vpc numbers: `length` each. */
  columns = new Int32Array(3 * 1024);

  /** Collects the names of `batch`, whose ids are all below `nameCount`. */
  collect(batch: ColumnarBatch, nameCount: number): void {
    const n = batch.length;
    if (this.#numberOf.length < nameCount) {
      const numberOf = new Int32Array(Math.max(nameCount, this.#numberOf.length * 2)).fill(-1);
      this.#numberOf = numberOf;
    }
    if (this.columns.length < 3 * n) this.columns = new Int32Array(3 * n);
    this.count = 0;
    const columns = this.columns;
    for (let i = 0; i < n; i++) {
      columns[i] = this.#number(batch.src[i]);
      columns[n + i] = this.#number(batch.dest[i]);
      columns[2 * n + i] = this.#number(batch.vpc[i]);
    }
    for (let j = 0; j < this.count; j++) this.#numberOf[this.ids[j]] = -1;
  }

  #number(id: number): number {
    let number = this.#numberOf[id];
    if (number < 0) {
      number = this.count++;
      this.#numberOf[id] = number;
      if (number === this.ids.length) this.ids = grown(this.ids, new Int32Array(this.ids.length * 2));
      this.ids[number] = id;
    }
    return number;
  }
}
