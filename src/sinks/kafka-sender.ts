import { type Admin, Partitioners, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { countJson, type PublishedCount } from '../counts/minute-count.js';
import { createKafka } from '../kafka/client.js';

export interface KafkaSenderOptions {
  brokers: string;
  topic: string;
  clientId: string;
  requestTimeoutMs: number;
  log: Logger;
}

/** Sends counts to the topic, one produce request at a time; retries and outages are the caller's. */
export class KafkaSender {
  readonly #producer: Producer;
  readonly #admin: Admin;
  readonly #options: KafkaSenderOptions;
  #connected = false;

  constructor(options: KafkaSenderOptions) {
    this.#options = options;
    const kafka = createKafka({
      brokers: options.brokers,
      clientId: options.clientId,
      requestTimeoutMs: options.requestTimeoutMs,
      log: options.log,
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
  }

  /** Whether the producer is connected (since its last successful send). */
  get connected(): boolean {
    return this.#connected;
  }

  async send(batch: PublishedCount[]): Promise<void> {
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
      messages: batch.map((count) => ({ key: count.minute, value: countJson(count), partition: 0 })),
    });
    this.#options.log.debug({ sent: batch.length, first: batch[0]?.minute }, 'counts sent to Kafka');
  }

  async disconnect(): Promise<void> {
    await Promise.allSettled([this.#producer.disconnect(), this.#admin.disconnect()]);
  }
}
