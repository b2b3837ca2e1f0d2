import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { CountsSink } from './counts-sink.js';
import { FileCountsSink } from './file.js';
import { KafkaCountsSink } from './kafka.js';

type SinkConfig = Pick<
  Config,
  'KAFKA_BROKERS' | 'KAFKA_TOPIC' | 'COUNTS_FILE' | 'INSTANCE_ID' | 'KAFKA_REQUEST_TIMEOUT_MS' | 'KAFKA_RETRY_MAX_MS'
>;

/** Kafka when brokers are configured (with `COUNTS_FILE` as its spool), the JSON-lines file otherwise. */
export function openCountsSink(config: SinkConfig, log: Logger): Promise<CountsSink> {
  if (config.KAFKA_BROKERS === undefined) return FileCountsSink.open(config.COUNTS_FILE, config.INSTANCE_ID, log);
  return KafkaCountsSink.open({
    brokers: config.KAFKA_BROKERS,
    topic: config.KAFKA_TOPIC,
    instance: config.INSTANCE_ID,
    spoolPath: config.COUNTS_FILE,
    requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS,
    retryMaxMs: config.KAFKA_RETRY_MAX_MS,
    log,
  });
}
