import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { InteractionPublisher, ensureTopic } from '../../services/adapters/kafka/interaction-publisher.js';
import { decodeInteraction } from '../../services/core/events.js';
import { InterestStreamError } from '../../services/domain/errors.js';
import type { InteractionEvent } from '../../services/domain/types.js';
import { eventually } from '../support/eventually.js';
import { unique } from '../support/names.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Received {
  readonly key: string;
  readonly partition: number;
  readonly raw: Buffer;
  readonly event: InteractionEvent;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

let kafka: Kafka;
beforeAll(() => {
  kafka = new Kafka({ clientId: 'publisher-test', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.ERROR });
});

async function connectedAdmin(): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  return admin;
}

async function newTopic(partitions: number): Promise<string> {
  const topic = unique('interactions');
  const admin = await connectedAdmin();
  expect(await ensureTopic(admin, topic, partitions)).toBe(true);
  cleanups.push(() => admin.deleteTopics({ topics: [topic] }));
  return topic;
}

async function startPublisher(topic: string, schemaRegistryId?: number): Promise<InteractionPublisher> {
  const publisher = new InteractionPublisher({ kafka, topic, schemaRegistryId });
  await publisher.start();
  cleanups.push(() => publisher.close());
  return publisher;
}

async function consumeAll(topic: string, count: number): Promise<Received[]> {
  const consumer = kafka.consumer({ groupId: unique('publisher-test') });
  await consumer.connect();
  cleanups.push(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: Received[] = [];
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const raw = message.value!;
      received.push({ key: String(message.key), partition, raw, event: decodeInteraction(raw) });
    },
  });
  await eventually(() => received.length >= count, { timeoutMs: 30_000 });
  return received;
}

describe('InteractionPublisher', () => {
  it('publishes events keyed by user, in order per user, with generated ids and defaults', async () => {
    const topic = await newTopic(3);
    const publisher = await startPublisher(topic);
    const before = Date.now();
    const sent = await publisher.publish([
      { userId: 'alice', itemId: 'a1', type: 'VIEW' },
      { userId: 'bob', itemId: 'b1', type: 'VIEW', weight: 2 },
      { userId: 'alice', itemId: 'a2', type: 'DISLIKE' },
      { userId: 'bob', itemId: 'ignored', type: 'ERASE', eventId: 'bob-erase', occurredAt: 1_000 },
      { userId: 'alice', itemId: 'a3', type: 'VIEW', occurredAt: 2_000 },
    ]);
    const after = Date.now();

    expect(sent.map((e) => [e.userId, e.itemId, e.type, e.weight])).toEqual([
      ['alice', 'a1', 'VIEW', 1],
      ['bob', 'b1', 'VIEW', 2],
      ['alice', 'a2', 'DISLIKE', 1],
      ['bob', '', 'ERASE', 1],
      ['alice', 'a3', 'VIEW', 1],
    ]);
    expect(sent.filter((e) => e.eventId !== 'bob-erase').every((e) => UUID.test(e.eventId))).toBe(true);
    expect(new Set(sent.map((e) => e.eventId)).size).toBe(5);
    for (const e of sent.slice(0, 3)) {
      expect(e.occurredAt).toBeGreaterThanOrEqual(before);
      expect(e.occurredAt).toBeLessThanOrEqual(after);
    }
    expect(sent[3]!.occurredAt).toBe(1_000);

    const received = await consumeAll(topic, 5);
    expect(received).toHaveLength(5);
    for (const r of received) expect(r.key).toBe(r.event.userId);
    for (const user of ['alice', 'bob']) {
      const mine = received.filter((r) => r.key === user);
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      expect(mine.map((r) => r.event)).toEqual(sent.filter((e) => e.userId === user));
    }
    expect(received[0]!.raw.subarray(0, 2).toString('hex')).toBe('c301');
  });

  it('writes Confluent framing when given a schema registry id', async () => {
    const topic = await newTopic(1);
    const publisher = await startPublisher(topic, 4242);
    const [sent] = await publisher.publish([{ userId: 'carol', itemId: 'c1', type: 'VIEW' }]);
    const [got] = await consumeAll(topic, 1);
    expect(got!.raw.subarray(0, 5).toString('hex')).toBe('0000001092');
    expect(got!.event).toEqual(sent);
  });

  it('rejects an invalid event before sending anything', async () => {
    const topic = await newTopic(1);
    const publisher = await startPublisher(topic);
    await expect(publisher.publish([{ userId: 'dave', itemId: 'd1', type: 'VIEW' }, { userId: 'dave', itemId: '', type: 'VIEW' }])).rejects.toMatchObject({
      code: 'INVALID_EVENT',
      message: expect.stringMatching(/itemId is required for VIEW/),
    });
    const admin = await connectedAdmin();
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((o) => o.high)).toEqual(['0']);
  });

  it('refuses to publish after close, and close is idempotent', async () => {
    const topic = await newTopic(1);
    const publisher = await startPublisher(topic);
    const first = publisher.close();
    expect(publisher.close()).toBe(first);
    await first;
    await expect(publisher.publish([{ userId: 'erin', itemId: 'e1', type: 'VIEW' }])).rejects.toBeInstanceOf(InterestStreamError);
  });

  it('ensureTopic leaves an existing topic alone', async () => {
    const topic = await newTopic(2);
    const admin = await connectedAdmin();
    expect(await ensureTopic(admin, topic, 5)).toBe(false);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions).toHaveLength(2);
  });
});
