import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKafka } from '../../src/kafka/client.js';
import { silentLogger } from '../support/helper.js';
import { kafkaSkipReason, startBroker, type TestBroker } from '../support/mock-broker.js';

// kafkajs 2.2.4, unpatched, re-checks its empty request queue after every response with a timer whose delay
// is negative, and again from that timer, forever: a 1 ms loop per connection, and on Node 24 a
// TimeoutNegativeWarning on stderr (kafkajs issues 1704 and 1751). patches/kafkajs+2.2.4.patch stops it;
// this fails if the patch is not applied (npm ci runs patch-package as postinstall).
describe.skipIf(kafkaSkipReason)('kafkajs request queue (patched)', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await broker?.stop();
  });

  it('schedules no timer with a negative delay once its queue is empty', async () => {
    const kafka = createKafka({
      brokers: broker.brokers,
      clientId: 'patch-test',
      requestTimeoutMs: 5_000,
      log: silentLogger,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const timers = vi.spyOn(globalThis, 'setTimeout');
      await producer.send({ topic: `patch-${process.pid}-${Date.now()}`, messages: [{ key: 'k', value: 'v' }] });
      await sleep(200);
      const negative = timers.mock.calls.filter(([, delay]) => typeof delay === 'number' && delay < 0);
      timers.mockRestore();
      expect(negative).toEqual([]);
    } finally {
      await producer.disconnect();
    }
  });
});
