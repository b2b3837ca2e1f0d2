/**
 * A sum of safe integers that stays exact past 2^53-1. It adds in a double while the sum fits (one
 * comparison per addend on the ingest path) and carries into a bigint just before it would not.
 */
export class ExactSum {
  #low = 0;
  #carried = 0n;

  /** `value` must be a safe non-negative integer. */
  add(value: number): void {
    if (this.#low > Number.MAX_SAFE_INTEGER - value) {
      this.#carried += BigInt(this.#low);
      this.#low = 0;
    }
    this.#low += value;
  }

  get total(): bigint {
    return this.#carried + BigInt(this.#low);
  }

  clear(): void {
    this.#low = 0;
    this.#carried = 0n;
  }
}
