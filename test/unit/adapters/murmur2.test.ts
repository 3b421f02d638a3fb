import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, murmur2Partition } from '../../../services/adapters/kafka/murmur2.js';

describe('murmur2 partitioning', () => {
  it('matches the Java client on its own test vectors (org.apache.kafka.common.utils.UtilsTest)', () => {
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    expect(cases.map(([s]) => murmur2(Buffer.from(s)))).toEqual(cases.map(([, h]) => h));
  });

  it("places every key where kafkajs' DefaultPartitioner (the publisher's) does", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 6, 7, 64]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
      for (let i = 0; i < 500; i++) {
        const key = `user-${i}-${'é'.repeat(i % 5)}`;
        expect(murmur2Partition(key, partitions)).toBe(partitioner({ topic: 't', partitionMetadata, message: { key, value: null } }));
      }
    }
  });
});
