import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaClientOptions {
  brokers: string;
  clientId: string;
  requestTimeoutMs: number;
  log: Logger;
}

/** Comma-separated `host:port` list, as `KAFKA_BROKERS` and `--brokers` take it. */
export function parseBrokers(list: string): string[] {
  return list
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
}

/**
 * A kafkajs client whose own logs go to pino at debug level: while Kafka is down kafkajs logs every
 * failed connection as an error, and the callers already log the outage once, at the level it deserves.
 */
export function createKafka({ brokers, clientId, requestTimeoutMs, log }: KafkaClientOptions): Kafka {
  const kafkaLog = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: parseBrokers(brokers),
    requestTimeout: requestTimeoutMs,
    connectionTimeout: Math.min(requestTimeoutMs, 3_000),
    // One quick retry for what kafkajs can fix itself (a moved leader, a stale connection); longer
    // outages belong to the caller's backoff and circuit breaker, which do not pile up duplicates.
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: kafkaLog.isLevelEnabled('debug') ? logLevel.DEBUG : logLevel.NOTHING,
    logCreator:
      () =>
      ({ namespace, label, log: { message, timestamp: _timestamp, ...extra } }: LogEntry) =>
        kafkaLog.debug({ namespace, kafkaLevel: label, ...extra }, message),
  });
}
