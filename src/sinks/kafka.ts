import {
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  type IPolicy,
  retry,
  wrap,
} from 'cockatiel';
import { type Admin, Partitioners, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { MinuteCount, PublishedCount } from '../counts/minute-count.js';
import { createKafka } from '../kafka/client.js';
import type { CountsSink, SinkStatus } from './counts-sink.js';
import { Spool } from './spool.js';

export interface KafkaSinkOptions {
  brokers: string;
  topic: string;
  /** Written into every count, so consumers can tell replicas apart. */
  instance: string;
  spoolPath: string;
  requestTimeoutMs: number;
  /** Cap of the backoff between attempts, and of the breaker's wait before it tests Kafka again. */
  retryMaxMs: number;
  log: Logger;
  /** How long `close` tries to hand the spool to Kafka before leaving it for the next start. */
  flushTimeoutMs?: number;
}

const BREAKER_STATES: Record<CircuitState, NonNullable<SinkStatus['breaker']>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/** Counts replayed per produce request after an outage. */
const BATCH = 100;

/**
 * Publishes each count to Kafka, in order, without ever losing one. Every count first goes to the
 * spool (a write-ahead log), and one loop sends the spool's head and drops it once Kafka acknowledged
 * it. While Kafka is unreachable the loop backs off and the breaker stays open, the spool grows, and
 * `publish` still resolves as soon as the count is on disk: the window rotation never waits for Kafka.
 */
export class KafkaCountsSink implements CountsSink {
  readonly #spool: Spool;
  readonly #producer: Producer;
  readonly #admin: Admin;
  readonly #options: KafkaSinkOptions;
  readonly #log: Logger;
  readonly #breaker;
  readonly #policy: IPolicy;
  readonly #stop = new AbortController();
  #connected = false;
  #down = false;
  #closing = false;
  #wake: (() => void) | undefined;
  readonly #loop: Promise<void>;

  private constructor(spool: Spool, options: KafkaSinkOptions) {
    this.#spool = spool;
    this.#options = options;
    this.#log = options.log.child({ component: 'kafka-sink', topic: options.topic });
    const kafka = createKafka({
      brokers: options.brokers,
      clientId: `flowanalysis-${options.instance}`,
      requestTimeoutMs: options.requestTimeoutMs,
      log: this.#log,
    });
    this.#producer = kafka.producer({
      // One request in flight keeps the minutes in order even when a request is retried. No
      // idempotent producer: it needs a controller, which not every Kafka-protocol broker offers.
      maxInFlightRequests: 1,
      idempotent: false,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      // A produce that timed out may still be applied: repeating it is left to the retry policy,
      // which first checks that the broker answers.
      retry: { retries: 0 },
    });
    this.#producer.on(this.#producer.events.DISCONNECT, () => {
      this.#connected = false;
    });
    this.#admin = kafka.admin({ retry: { retries: 0 } });

    const backoff = { initialDelay: Math.min(100, options.retryMaxMs), maxDelay: options.retryMaxMs };
    this.#breaker = circuitBreaker(handleAll, {
      halfOpenAfter: new ExponentialBackoff({ ...backoff, initialDelay: Math.min(1_000, options.retryMaxMs) }),
      breaker: new ConsecutiveBreaker(2),
    });
    // Logged once per outage: a failed re-test breaks the circuit again, and says nothing new.
    this.#breaker.onBreak(() => {
      if (this.#down) return;
      this.#down = true;
      this.#log.warn(
        { spooled: this.#spool.size, spool: options.spoolPath },
        'Kafka unreachable; counts wait in the spool',
      );
    });
    this.#breaker.onReset(() => {
      this.#down = false;
      this.#log.info({ spooled: this.#spool.size }, 'Kafka reachable again');
    });
    // Unlimited attempts: a count leaves the spool only for Kafka; shutdown ends the attempts.
    const retries = retry(handleAll, { backoff: new ExponentialBackoff(backoff) });
    retries.onRetry((reason) => {
      // During shutdown a failure means Kafka will not take the counts now: they stay spooled.
      if (this.#closing) this.#stop.abort();
      else this.#log.debug({ err: 'error' in reason ? reason.error : undefined }, 'Kafka send failed; will retry');
    });
    this.#policy = wrap(retries, this.#breaker);
    this.#loop = this.#run();
  }

  /** Counts not yet acknowledged by Kafka. */
  get spooled(): number {
    return this.#spool.size;
  }

  /** For /ready and /metrics: whether Kafka takes the counts, and how many wait for it. */
  status(): SinkStatus {
    return {
      kind: 'kafka',
      kafkaConnected: this.#connected && !this.#down,
      breaker: BREAKER_STATES[this.#breaker.state],
      spoolSize: this.#spool.size,
    };
  }

  /** Start-up only reads the local spool; Kafka is contacted in the background, so a Kafka outage never delays it. */
  static async open(options: KafkaSinkOptions): Promise<KafkaCountsSink> {
    const spool = await Spool.open(options.spoolPath, options.instance, options.log);
    return new KafkaCountsSink(spool, options);
  }

  /** Resolves when the count is durably spooled; sending to Kafka happens after, in order. */
  async publish(count: MinuteCount): Promise<void> {
    if (this.#closing) throw new Error('counts sink is closed');
    await this.#spool.append({ ...count, instance: this.#options.instance });
    this.#log.info({ counts: count }, 'minute counts');
    this.#wake?.();
  }

  /** Hands what is spooled to Kafka within the flush timeout; what is left stays in the spool for the next start. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#wake?.();
    // Kafka is known to be down: waiting for it would only delay the shutdown.
    if (this.#down) this.#stop.abort();
    const deadline = setTimeout(() => this.#stop.abort(), this.#options.flushTimeoutMs ?? 5_000);
    // An in-flight request cannot be cancelled; past the deadline it is abandoned, its counts still spooled.
    const stopped = this.#stop.signal.aborted
      ? Promise.resolve()
      : new Promise<void>((resolve) => this.#stop.signal.addEventListener('abort', () => resolve()));
    await Promise.race([this.#loop, stopped]);
    clearTimeout(deadline);
    this.#stop.abort();
    if (this.#spool.size > 0) {
      this.#log.warn(
        { spooled: this.#spool.size, spool: this.#options.spoolPath },
        'Kafka did not take every count before shutdown; the next start sends them',
      );
    }
    await Promise.allSettled([this.#producer.disconnect(), this.#admin.disconnect()]);
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      if (this.#spool.size === 0) {
        if (this.#closing) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      const batch = this.#spool.peek(BATCH);
      try {
        await this.#policy.execute(() => this.#send(batch), signal);
      } catch (err) {
        // Only shutdown ends the retries.
        if (!signal.aborted) this.#log.error({ err }, 'unexpected end of Kafka retries');
        return;
      }
      try {
        await this.#spool.dropFirst(batch.length);
      } catch (err) {
        // Kafka has the counts, the spool still lists them: the next start sends them again, and
        // consumers drop the repeats. Carrying on would repeat them now, so stop sending.
        this.#log.error({ err, spool: this.#options.spoolPath }, 'cannot shorten the spool; Kafka publishing stops');
        return;
      }
    }
  }

  async #send(batch: PublishedCount[]): Promise<void> {
    // A metadata round trip first: a broker that hangs (rather than refuses) would append a produce
    // request that timed out here once it wakes up, and each retry with it, as repeats. A metadata
    // request that times out leaves nothing behind, so only a hang that starts between the two
    // requests can repeat a count.
    await this.#admin.connect();
    await this.#admin.describeCluster();
    if (!this.#connected) {
      await this.#producer.connect();
      this.#connected = true;
    }
    await this.#producer.send({
      topic: this.#options.topic,
      acks: -1,
      timeout: this.#options.requestTimeoutMs,
      // One partition, so every consumer reads the minutes in the order they were counted; the key
      // (the minute) lets consumers drop repeats.
      messages: batch.map((count) => ({ key: count.minute, value: JSON.stringify(count), partition: 0 })),
    });
    this.#log.debug({ sent: batch.length, first: batch[0]?.minute }, 'counts sent to Kafka');
  }
}
