import { ValidationError } from '../errors.js';
import { MAX_RANGE_HOURS } from '../queries/flow-queries.js';

/** A range of hours the query routes accept: from_hour <= to_hour, at most MAX_RANGE_HOURS long. */
export function checkHourRange({ from_hour, to_hour }: { from_hour: number; to_hour: number }): void {
  if (from_hour > to_hour) {
    throw new ValidationError(`query parameter "from_hour" (${from_hour}) must be <= "to_hour" (${to_hour})`);
  }
  const hours = to_hour - from_hour + 1;
  if (hours > MAX_RANGE_HOURS) {
    throw new ValidationError(`the range from_hour..to_hour spans ${hours} hours; at most ${MAX_RANGE_HOURS}`);
  }
}
