import type { FlowRecord } from '../../schemas/flow.js';
import { grown } from './grown.js';
import type { Interner } from './interner.js';

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

  /** Holds `records` (already validated), their names interned in `names`. */
  fill(records: readonly FlowRecord[], names: Interner): void {
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      this.ensure(i);
      this.src[i] = names.id(r.src_app);
      this.dest[i] = names.id(r.dest_app);
      this.vpc[i] = names.id(r.vpc_id);
      this.hour[i] = r.hour;
      this.tx[i] = r.bytes_tx;
      this.rx[i] = r.bytes_rx;
    }
    this.length = records.length;
  }

  /** Makes room for records up to `index`. */
  ensure(index: number): void {
    if (index < this.src.length) return;
    const size = Math.max(this.src.length * 2, index + 1);
    this.src = grown(this.src, new Int32Array(size));
    this.dest = grown(this.dest, new Int32Array(size));
    this.vpc = grown(this.vpc, new Int32Array(size));
    this.hour = grown(this.hour, new Int32Array(size));
    this.tx = grown(this.tx, new Float64Array(size));
    this.rx = grown(this.rx, new Float64Array(size));
  }
}
