import type { Logger } from 'pino';
import type { CountsHistory } from '../counts/counts-history.js';
import type { MinuteCount } from '../counts/minute-count.js';
import type { CountsSink } from './counts-sink.js';

/**
 * The sink the scheduler publishes to: each count is kept in the history (for `GET /counts`), then
 * handed to the real sink. Keeping it must never cost the count its publication: a history that
 * cannot take it (the database is down) is logged and skipped.
 */
export function recordingSink(sink: CountsSink, history: CountsHistory, log: Logger): CountsSink {
  return {
    async publish(count: MinuteCount): Promise<void> {
      try {
        await history.record(count);
      } catch (err) {
        log.warn({ err, minute: count.minute }, 'could not keep a minute count for GET /counts');
      }
      await sink.publish(count);
    },
    close: () => sink.close(),
  };
}
