import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeInteraction } from '../../services/core/events.js';
import { murmur2Partition } from '../../services/adapters/kafka/murmur2.js';
import { ingestSuite } from '../support/ingest-harness.js';
import { workload } from '../support/workload.js';

describe('ingest: a producer that partitions by CRC32 (librdkafka’s default)', () => {
  const w = workload({ seed: 18, items: 4, users: 1, events: 0, dimension: 8 });
  const suite = ingestSuite(w.items, { partitions: 3 });
  const { h } = suite;

  it('cannot revive an erased user with a view older than the erase, and the misrouted event is counted', async () => {
    const ingest = await suite.startIngest();
    // A user that CRC32 and murmur2 put on different partitions.
    const userId = Array.from({ length: 100 }, (_, i) => `erased-${i}`).find((id) => crc32(id) % 3 !== murmur2Partition(id, 3))!;
    const t = Date.now();
    await h.publisher.publish([
      { eventId: 'v-before', userId, itemId: 'item-1', type: 'VIEW', occurredAt: t - 5000 },
      { eventId: 'erase', userId, itemId: '', type: 'ERASE', occurredAt: t },
    ]);
    await h.drained();
    expect((await h.hotStates([userId])).get(userId)!.erased).toBe(true);

    const crcProducer = h.kafka.producer({ createPartitioner: () => ({ message, partitionMetadata }) => crc32(String(message.key)) % partitionMetadata.length });
    await crcProducer.connect();
    await crcProducer.send({
      topic: h.config.interactionsTopic,
      messages: [{ key: userId, value: encodeInteraction({ eventId: 'v-late', userId, itemId: 'item-2', type: 'VIEW', occurredAt: t - 1000, weight: 1 }) }],
    });
    await crcProducer.disconnect();
    await h.drained();

    const state = (await h.hotStates([userId])).get(userId)!;
    expect(state.erased).toBe(true);
    expect(state.vector).toBeNull();
    expect(state.seen).toEqual([]);
    expect(state.eventCount).toBe(0);
    expect((await ingest.metrics.misrouted.get()).values[0]?.value).toBe(1);
  });
});
