/** murmur3's 32-bit finaliser: spreads every input bit over the output (a bijection on 32-bit integers). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The dirty-users shard of a user: FNV-1a over the UTF-8 bytes, cheap, stable across processes and languages. */
export function shardOfUser(userId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(userId, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}
