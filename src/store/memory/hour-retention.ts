import type { Logger } from 'pino';
import { checkRetention, type RetentionStatus, retentionStatus } from '../retention.js';
import type { ColumnarBatch } from './columnar-batch.js';
import type { DroppedHour, Hours } from './hours.js';

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

  /**
   * After the batch checked last was applied: advances the newest hour and takes what it expires out of
   * `hours`, returning that (see MemoryFlowStore: final at once, or once the batch is on disk).
   */
  applied(hours: Hours): DroppedHour[] {
    if (this.#pending <= this.#newest) return [];
    const previous = this.#newest;
    const oldestKept = this.oldestKeptAfter;
    this.#newest = this.#pending;
    const dropped = hours.dropBefore(oldestKept);
    if (dropped.length === 0) return dropped;
    const fields = { ...this.#count(dropped), oldestKept, newestHour: this.#newest, previousNewestHour: previous };
    if (this.#newest - previous > this.hours) {
      this.#log?.warn(
        fields,
        'retention: the newest hour jumped by more than RETENTION_HOURS, so every earlier hour was dropped; check that agents send the right hour',
      );
    } else this.#log?.info(fields, 'retention: dropped the hours before the oldest hour kept');
    return dropped;
  }

  /**
   * After batches were taken back (DATA_DIR: their log write failed) with the hours they dropped put back
   * (`putBackFlows` flows): the newest hour is again the newest one held, as retention never drops that.
   */
  takenBack(hours: Hours, putBackFlows: number): void {
    this.#newest = this.#pending = hours.newestHour;
    this.#expiredFlows -= putBackFlows;
  }

  /**
   * After a restart (DATA_DIR): the newest hour is the newest one recovered, and the hours it expires are
   * taken out of `hours` and returned (RETENTION_HOURS may be shorter than when they were accepted).
   */
  recovered(hours: Hours): DroppedHour[] {
    this.#newest = this.#pending = hours.newestHour;
    const oldestKept = this.#newest - this.hours;
    const dropped = hours.dropBefore(oldestKept);
    if (dropped.length > 0) {
      const fields = { ...this.#count(dropped), oldestKept, newestHour: this.#newest };
      this.#log?.info(fields, 'retention: dropped the hours before the oldest hour kept, at start-up');
    }
    return dropped;
  }

  /** Counts the dropped flows in `expired_total`; the fields of the log line. */
  #count(dropped: DroppedHour[]): { hours: number; flows: number } {
    const flows = dropped.reduce((sum, { table }) => sum + table.count, 0);
    this.#expiredFlows += flows;
    return { hours: dropped.length, flows };
  }

  status(): RetentionStatus {
    return retentionStatus(this.hours, this.#newest, this.#expiredFlows);
  }
}
