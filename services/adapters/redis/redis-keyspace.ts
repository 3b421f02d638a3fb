import type { RedisClient } from './redis-client.js';

/**
 * SCAN + UNLINK of every key under a prefix, on each primary: KEYS or SCAN through a Cluster client
 * reaches one node only, and one multi-key DEL would span many slots (CROSSSLOT). The client must be
 * connected (a Cluster client knows its primaries only then). Returns how many keys were removed.
 */
export async function deleteByPrefix(redis: RedisClient, prefix: string): Promise<number> {
  const nodes = 'nodes' in redis && typeof redis.nodes === 'function' ? redis.nodes('master') : [redis];
  let deleted = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) deleted += await node.unlink(k);
    } while (cursor !== '0');
  }
  return deleted;
}
