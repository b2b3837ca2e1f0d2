import type { Logger } from 'pino';
import type { MinuteWindow } from '../../window/minute-window.js';
import { checkRetention, type RetentionStatus, retentionStatus } from '../retention.js';
import type { ColumnarBatch } from './columnar-batch.js';
import type { HourTable } from './hour-table.js';
import type { Hours } from './hours.js';

/** RETENTION_HOURS in memory: refuses batches with expired hours and drops the hours that expire. */
export class HourRetention {
  readonly hours: number;
  readonly #log: Logger | undefined;
  #newest = -1;
  /** The newest hour once the batch checked last is applied. */
  #pending = -1;
  #expiredFlows = 0;

  constructor(hours: number, log?: Logger) {
    this.hours = hours;
    this.#log = log;
  }

  /** Throws HourExpiredError when the batch holds an hour that would be expired once it is applied. */
  check(batch: ColumnarBatch): void {
    this.#pending = checkRetention(batch.hour, batch.length, this.#newest, this.hours);
  }

  /** Hours before this one are dropped once the batch checked last is applied; -Infinity when none newly expire. */
  get oldestKeptAfter(): number {
    return this.#pending > this.#newest ? this.#pending - this.hours : Number.NEGATIVE_INFINITY;
  }

  /** After the batch checked last was applied: advances the newest hour, drops what it expires, returns that. */
  applied(hours: Hours, window: MinuteWindow): HourTable[] {
    if (this.#pending <= this.#newest) return [];
    const previous = this.#newest;
    const oldestKept = this.oldestKeptAfter;
    this.#newest = this.#pending;
    const dropped = hours.dropBefore(oldestKept, window);
    if (dropped.length === 0) return dropped;
    const flows = dropped.reduce((sum, table) => sum + table.count, 0);
    this.#expiredFlows += flows;
    const fields = { hours: dropped.length, flows, oldestKept, newestHour: this.#newest, previousNewestHour: previous };
    if (this.#newest - previous > this.hours) {
      this.#log?.warn(
        fields,
        'retention: the newest hour jumped by more than RETENTION_HOURS, so every earlier hour was dropped; check that agents send the right hour',
      );
    } else this.#log?.info(fields, 'retention: dropped the hours before the oldest hour kept');
    return dropped;
  }

  status(): RetentionStatus {
    return retentionStatus(this.hours, this.#newest, this.#expiredFlows);
  }
}
