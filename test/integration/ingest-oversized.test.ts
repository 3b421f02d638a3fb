import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startIngest, type IngestHandle } from '../../services/ingest/ingest-service.js';
import { silentLogger } from '../../services/core/logger.js';
import { encodeInteraction } from '../../services/core/events.js';
import { DLQ_HEADERS } from '../../services/adapters/kafka/dead-letters.js';
import { readDeadLetters } from '../../services/adapters/kafka/dlq-reader.js';
import { REFERENCE_HEADERS } from '../../services/adapters/kafka/sized-sends.js';
import { IngestHarness } from '../support/ingest-harness.js';
import { workload } from '../support/workload.js';

describe('ingest: dead letters larger than the DLQ topic allows', () => {
  const h = new IngestHarness({ kafkaBrokers: inject('kafkaBrokers'), redisUrl: inject('redisUrl'), partitions: 1 });
  const w = workload({ seed: 13, items: 4, users: 1, events: 0, dimension: 8 });
  let ingest: IngestHandle | undefined;

  beforeAll(async () => {
    await h.admin.connect();
    // Producers may write larger records than the DLQ (created with the broker's 1 MiB default) takes.
    await h.admin.createTopics({
      topics: [{ topic: h.config.interactionsTopic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(4 * 1024 * 1024) }] }],
      waitForLeaders: true,
    });
    await h.start();
    await h.importItems(w.items);
  });
  afterAll(async () => {
    await ingest?.close();
    await h.close();
  });

  it('drains the partition: 1.2 MB of garbage goes to the DLQ as a reference, 1.8 MB of dead letters in several sends', async () => {
    ingest = await startIngest(h.config, silentLogger());
    const huge = randomBytes(1_200_000);
    const mid = Array.from({ length: 30 }, () => randomBytes(60_000));
    const producer = h.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic: h.config.interactionsTopic,
      messages: [
        { key: 'user-big', value: huge, headers: { origin: 'test' } },
        ...mid.map((value) => ({ key: 'user-big', value })),
        { key: 'user-big', value: encodeInteraction({ eventId: 'after', userId: 'user-big', itemId: 'item-1', type: 'VIEW', occurredAt: Date.now(), weight: 1 }) },
      ],
    });
    await producer.disconnect();
    await h.drained(120_000);

    const dead = await readDeadLetters(h.kafka, `${h.config.interactionsTopic}.dlq`);
    expect(dead).toHaveLength(31);
    expect(dead.every((d) => d.code === 'DECODE_FAILED')).toBe(true);
    const [reference, ...rest] = dead;
    expect(reference!.headers[REFERENCE_HEADERS.truncated]).toBe('true');
    expect(reference!.headers[REFERENCE_HEADERS.originalBytes]).toBe('1200000');
    expect(reference!.headers[DLQ_HEADERS.offset]).toBe('0');
    expect(reference!.value!.equals(huge.subarray(0, 1024))).toBe(true);
    expect(rest.map((d) => d.value!.equals(mid[Number(d.headers[DLQ_HEADERS.offset]) - 1]!))).toEqual(mid.map(() => true));
    expect(rest.every((d) => d.headers[REFERENCE_HEADERS.truncated] === undefined)).toBe(true);
    expect((await h.hotStates(['user-big'])).get('user-big')!.eventCount).toBe(1);
  });
});
