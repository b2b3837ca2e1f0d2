import type { Logger } from 'pino';
import type { MinuteCount } from '../counts/minute-count.js';
import type { CountsSink, SinkStatus } from './counts-sink.js';
import { type SendPolicy, sendPolicy } from './kafka-policy.js';
import { KafkaSender } from './kafka-sender.js';
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
  readonly #sender: KafkaSender;
  readonly #options: KafkaSinkOptions;
  readonly #log: Logger;
  readonly #send: SendPolicy;
  readonly #stop = new AbortController();
  #down = false;
  #closing = false;
  #wake: (() => void) | undefined;
  readonly #loop: Promise<void>;

  private constructor(spool: Spool, options: KafkaSinkOptions) {
    this.#spool = spool;
    this.#options = options;
    this.#log = options.log.child({ component: 'kafka-sink', topic: options.topic });
    this.#sender = new KafkaSender({ ...options, clientId: `flowanalysis-${options.instance}`, log: this.#log });
    this.#send = sendPolicy(options.retryMaxMs, {
      // Logged once per outage: a failed re-test breaks the circuit again, and says nothing new.
      onBreak: () => {
        if (this.#down) return;
        this.#down = true;
        this.#log.warn(
          { spooled: spool.size, spool: options.spoolPath },
          'Kafka unreachable; counts wait in the spool',
        );
      },
      onReset: () => {
        this.#down = false;
        this.#log.info({ spooled: spool.size }, 'Kafka reachable again');
      },
      // During shutdown a failure means Kafka will not take the counts now: they stay spooled.
      onRetry: (err) => {
        if (this.#closing) this.#stop.abort();
        else this.#log.debug({ err }, 'Kafka send failed; will retry');
      },
    });
    this.#loop = this.#run();
  }

  /** Start-up only reads the local spool; Kafka is contacted in the background, so a Kafka outage never delays it. */
  static async open(options: KafkaSinkOptions): Promise<KafkaCountsSink> {
    const spool = await Spool.open(options.spoolPath, options.instance, options.log);
    return new KafkaCountsSink(spool, options);
  }

  /** Counts not yet acknowledged by Kafka. */
  get spooled(): number {
    return this.#spool.size;
  }

  /** For /ready and /metrics: whether Kafka takes the counts, and how many wait for it. */
  status(): SinkStatus {
    return {
      kind: 'kafka',
      kafkaConnected: this.#sender.connected && !this.#down,
      breaker: this.#send.breakerState(),
      spoolSize: this.#spool.size,
    };
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
    await this.#sender.disconnect();
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
        await this.#send.policy.execute(() => this.#sender.send(batch), signal);
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
}
