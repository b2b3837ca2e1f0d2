import type { BreakerState } from '../breaker-state.js';
import type { MinuteCount } from '../counts/minute-count.js';

/** What a sink can say about itself, for /ready and /metrics. Fields a sink does not have stay unset. */
export interface SinkStatus {
  kind: 'file' | 'kafka' | (string & {});
  kafkaConnected?: boolean;
  breaker?: BreakerState;
  /** Counts waiting in the spool for Kafka to come back. */
  spoolSize?: number;
}

/** Where each closed window's count goes. `publish` must not lose a count it has resolved for. */
export interface CountsSink {
  publish(count: MinuteCount): Promise<void>;
  close(): Promise<void>;
  status?(): SinkStatus;
}
