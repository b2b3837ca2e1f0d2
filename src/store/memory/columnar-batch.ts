/**
 * A decoded batch as parallel typed arrays of interned name ids and numbers, reused from batch to
 * batch so that decoding a request allocates nothing per record.
 */
export class ColumnarBatch {
  length = 0;
  src = new Int32Array(1024);
  dest = new Int32Array(1024);
  vpc = new Int32Array(1024);
  hour = new Int32Array(1024);
  tx = new Float64Array(1024);
  rx = new Float64Array(1024);

  /** Makes room for record `index`. */
  ensure(index: number): void {
    if (index < this.src.length) return;
    const size = this.src.length * 2;
    this.src = grown(this.src, new Int32Array(size));
    this.dest = grown(this.dest, new Int32Array(size));
    this.vpc = grown(this.vpc, new Int32Array(size));
    this.hour = grown(this.hour, new Int32Array(size));
    this.tx = grown(this.tx, new Float64Array(size));
    this.rx = grown(this.rx, new Float64Array(size));
  }
}

export function grown<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
