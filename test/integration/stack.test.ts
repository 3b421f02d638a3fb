import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { unique } from '../support/names.js';
import { testRedis } from '../support/test-redis.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

describe('the real stack', () => {
  it('delivers a message produced to an admin-created topic to a consumer group', async () => {
    const kafka = new Kafka({ clientId: 'stack-test', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.ERROR });
    const topic = unique('stack-topic');
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(true);
    cleanups.push(() => admin.deleteTopics({ topics: [topic] }));

    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await producer.send({ topic, messages: [{ key: 'user-1', value: 'hello kafka', headers: { h: 'v' } }] });

    const consumer = kafka.consumer({ groupId: unique('stack-group') });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: Array<{ key: string; value: string; header: string }> = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: String(message.key), value: String(message.value), header: String(message.headers?.h) });
      },
    });
    await eventually(() => received.length === 1, { timeoutMs: 30_000 });
    expect(received).toEqual([{ key: 'user-1', value: 'hello kafka', header: 'v' }]);
  });

  it('returns a float32 vector stored in Redis as raw bytes bit-identical', async () => {
    const redis = testRedis();
    cleanups.push(() => redis.quit());
    const key = unique('stack-vec');
    cleanups.push(() => redis.del(key));
    // Values chosen to catch any text round trip: subnormal, negative zero, max float32, pi.
    const v = new Float32Array([Math.PI, -0, 1.401298464324817e-45, 3.4028234663852886e38, -1 / 3]);
    await redis.set(key, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    const back = await redis.getBuffer(key);
    expect(back).not.toBeNull();
    const copy = new Uint8Array(back!);
    const u = new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
    expect(Buffer.from(u.buffer).equals(Buffer.from(v.buffer))).toBe(true);
    expect(Object.is(u[1], -0)).toBe(true);
  });
});
