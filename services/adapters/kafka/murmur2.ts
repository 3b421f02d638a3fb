/**
 * Kafka's default key partitioner, as the Java client computes it: murmur2 (seed 0x9747b28c) of the
 * key bytes, made positive by masking the sign bit, modulo the partition count. kafkajs'
 * `Partitioners.DefaultPartitioner` computes the same (test/unit/adapters/murmur2.test.ts checks
 * both against the Java client's own test vectors). Ingest uses it to notice events that a producer
 * with another partitioner (librdkafka's default is CRC32) put on another partition than the user's.
 */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition the Java client (and our publisher) puts `key` on. */
export function murmur2Partition(key: Buffer | string, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key) : key;
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}
