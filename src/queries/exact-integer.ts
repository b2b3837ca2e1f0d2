/**
 * Byte sums over many flows pass 2^53-1, where a double stops being exact. An ExactInteger is a
 * number while it is safe and a bigint beyond, always in that canonical form, so two answers compare
 * equal exactly when their values do. JSON serialization (fast-json-stringify) writes both as plain
 * JSON numbers.
 */
export type ExactInteger = number | bigint;

/** The canonical form of `value`: a number when it is a safe integer, else the bigint. */
export function exact(value: bigint | number): ExactInteger {
  if (typeof value === 'number') return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** An integer written in decimal (PostgreSQL numeric or bigint as text), exactly. */
export function parseExact(text: string): ExactInteger {
  return exact(BigInt(text));
}

export function addExact(a: ExactInteger, b: ExactInteger): ExactInteger {
  if (typeof a === 'number' && typeof b === 'number') {
    const sum = a + b;
    if (Number.isSafeInteger(sum)) return sum;
  }
  return exact(BigInt(a) + BigInt(b));
}

export function subtractExact(a: ExactInteger, b: ExactInteger): ExactInteger {
  if (typeof a === 'number' && typeof b === 'number') {
    const difference = a - b;
    if (Number.isSafeInteger(difference)) return difference;
  }
  return exact(BigInt(a) - BigInt(b));
}

/**
 * A running sum of non-negative safe integers: a double while it stays below 2^53, with whatever
 * passes that moved into a bigint, so the common case never allocates.
 */
export class ExactSum {
  #low = 0;
  #high = 0n;

  add(value: number): void {
    const sum = this.#low + value;
    // Both addends are exact and at most 2^53-1: a rounded sum at or under 2^53-1 is the exact sum.
    if (sum <= Number.MAX_SAFE_INTEGER) this.#low = sum;
    else {
      this.#high += BigInt(this.#low);
      this.#low = value;
    }
  }

  get value(): ExactInteger {
    return this.#high === 0n ? this.#low : exact(this.#high + BigInt(this.#low));
  }
}
