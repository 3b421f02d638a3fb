import { describe, expect, it } from 'vitest';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { userKeyPartitioner } from '../../../services/adapters/kafka/kafka-client.js';

const partitionMetadata: PartitionMetadata[] = Array.from({ length: 12 }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));

describe('userKeyPartitioner', () => {
  const ours = userKeyPartitioner();
  const theirs = Partitioners.DefaultPartitioner();
  const at = (p: typeof ours, key: string | Buffer) => p({ topic: 't', partitionMetadata, message: { key, value: null } });

  it('puts every history snapshot key of a user on the user\'s partition, whatever the generation and slot', () => {
    const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    for (const u of users) {
      for (const key of [`${u}{g1:0}`, `${u}{g1:7}`, `${u}{g2:19}`]) expect(at(ours, key)).toBe(at(theirs, u));
    }
    // The snapshot keys themselves would spread over partitions under the default partitioner.
    expect(new Set(users.map((u) => at(theirs, `${u}{g1:3}`) === at(theirs, u))).has(false)).toBe(true);
  });

  it('partitions every other key exactly as kafkajs does, byte keys with braces included', () => {
    for (const key of ['alice', 'item-7', '', Buffer.from('x{y}'), Buffer.from([0x7b, 0xff])]) expect(at(ours, key)).toBe(at(theirs, key));
  });
});
