import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeInteraction } from '../../services/core/events.js';
import { DLQ_HEADERS } from '../../services/adapters/kafka/dead-letters.js';
import { eventually } from '../support/eventually.js';
import { IngestHarness, ingestSuite } from '../support/ingest-harness.js';
import { rng } from '../support/random.js';
import { maxAbsDiff, referenceFold } from '../support/reference-fold.js';
import { unique } from '../support/names.js';
import { workload } from '../support/workload.js';

describe('ingest: bad input goes to the dead-letter topic and the partition keeps flowing', () => {
  const w = workload({ seed: 3, items: 20, users: 1, events: 0, dimension: 8 });
  const suite = ingestSuite(w.items);
  const { h } = suite;

  it('dead-letters a garbage message and an unknown item with their reasons, and folds the events after them', async () => {
    const ingest = await suite.startIngest();
    const userId = 'user-dlq';
    const producer = h.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const garbage = Buffer.from('definitely not avro');
    const unknownItem = encodeInteraction({ eventId: 'e-unknown', userId, itemId: 'no-such-item', type: 'VIEW', occurredAt: 1, weight: 1 });
    // Same key, so all four land on one partition in this order.
    await producer.send({
      topic: h.config.interactionsTopic,
      messages: [
        { key: userId, value: garbage, headers: { origin: 'test' } },
        { key: userId, value: unknownItem },
        { key: userId, value: encodeInteraction({ eventId: 'e-1', userId, itemId: 'item-1', type: 'VIEW', occurredAt: 2, weight: 1 }) },
        { key: userId, value: encodeInteraction({ eventId: 'e-2', userId, itemId: 'item-2', type: 'VIEW', occurredAt: 3, weight: 1 }) },
      ],
    });
    await producer.disconnect();
    await h.drained();

    const dead = await readAll(h, `${h.config.interactionsTopic}.dlq`, 2);
    expect(dead.map((d) => d.headers[DLQ_HEADERS.code])).toEqual(['DECODE_FAILED', 'UNKNOWN_ITEM']);
    expect(dead[0]!.value.equals(garbage)).toBe(true);
    expect(dead[0]!.headers.origin).toBe('test');
    expect(dead[1]!.value.equals(unknownItem)).toBe(true);
    expect(dead[1]!.headers[DLQ_HEADERS.message]).toContain('no-such-item');
    expect(dead.map((d) => d.headers[DLQ_HEADERS.offset])).toEqual(['0', '1']);
    expect(dead.every((d) => d.headers[DLQ_HEADERS.topic] === h.config.interactionsTopic)).toBe(true);

    const state = (await h.hotStates([userId])).get(userId)!;
    expect(state.eventCount).toBe(2);
    expect(state.recentViews).toEqual(['item-1', 'item-2']);
    const ref = referenceFold(
      [
        { eventId: 'e-1', userId, itemId: 'item-1', type: 'VIEW', weight: 1 },
        { eventId: 'e-2', userId, itemId: 'item-2', type: 'VIEW', weight: 1 },
      ],
      w.items,
    ).get(userId)!;
    expect(maxAbsDiff(state.vector!, ref.vector!)).toBeLessThanOrEqual(1e-6);
    const reasons = (await ingest.metrics.deadLetters.get()).values.map((v) => [v.labels.reason, v.value]);
    expect(Object.fromEntries(reasons)).toEqual({ DECODE_FAILED: 1, UNKNOWN_ITEM: 1 });
  });
});

describe('ingest: killed with SIGKILL while events flow', () => {
  const h = new IngestHarness({ kafkaBrokers: inject('kafkaBrokers'), redisUrl: inject('redisUrl') });
  const w = workload({ seed: 21, items: 120, users: 200, events: 4000, dimension: 16, erase: true });

  beforeAll(async () => {
    await h.start();
    await h.importItems(w.items);
  });
  afterAll(() => h.close());

  it('ends, after the last restart drains the topic, with every vector equal to a clean fold and no event counted twice', async () => {
    const rand = rng(99);
    let publishing = true;
    const published = (async () => {
      for (let i = 0; i < w.events.length; i += 200) {
        await h.publisher.publish(w.events.slice(i, i + 200));
        await new Promise((r) => setTimeout(r, 150));
      }
      publishing = false;
    })();
    let kills = 0;
    while (kills < 5 || publishing) {
      const child = h.spawnIngest();
      await new Promise((r) => setTimeout(r, 2500 + rand() * 2500));
      await h.kill(child, 'SIGKILL');
      kills++;
    }
    await published;
    expect(kills).toBeGreaterThanOrEqual(5);
    const last = h.spawnIngest([], { KAFKA_CLIENT_ID: 'last-ingest' });
    // The killed ones may have drained the topic already: wait for this one to be up.
    await h.joined('last-ingest');
    await h.drained(90_000);
    const expected = referenceFold(w.events, w.items);
    const states = await h.hotStates(w.userIds);
    const bad = [...expected].filter(([id, ref]) => {
      const s = states.get(id);
      if (!s || s.eventCount !== ref.eventCount) return true;
      if (ref.vector === null || s.vector === null) return ref.vector !== s.vector;
      return maxAbsDiff(s.vector, ref.vector) > 1e-5;
    });
    expect(bad.map(([id]) => id)).toEqual([]);
    await h.kill(last, 'SIGTERM');
    expect(last.exitCode).toBe(0);
  });
});

async function readAll(h: IngestHarness, topic: string, count: number) {
  const consumer = h.kafka.consumer({ groupId: unique('dlq-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: Array<{ value: Buffer; headers: Record<string, string> }> = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      out.push({ value: message.value!, headers });
    },
  });
  await eventually(() => out.length >= count, { timeoutMs: 30_000 });
  await consumer.disconnect();
  return out;
}
