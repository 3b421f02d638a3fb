import type { RedisClient } from './redis-client.js';

/**
 * SCAN + UNLINK of every key under a prefix, on each primary: KEYS or SCAN through a Cluster client
 * reaches one node only, and one multi-key DEL would span many slots (CROSSSLOT). The client must be
 * connected (a Cluster client knows its primaries only then). Returns how many keys were removed.
 */
export async function deleteByPrefix(redis: RedisClient, prefix: string): Promise<number> {
  let deleted = 0;
  await eachKeyPage(redis, prefix, async (node, keys) => {
    for (const k of keys) deleted += await node.unlink(k);
  });
  return deleted;
}

/** Every key under a prefix, from each primary (SCAN, as above). */
export async function keysByPrefix(redis: RedisClient, prefix: string): Promise<string[]> {
  const out: string[] = [];
  await eachKeyPage(redis, prefix, async (_, keys) => {
    out.push(...keys);
  });
  return out;
}

type RedisNode = Pick<RedisClient, 'scan' | 'unlink'>;

async function eachKeyPage(redis: RedisClient, prefix: string, page: (node: RedisNode, keys: string[]) => Promise<void>): Promise<void> {
  const nodes: RedisNode[] = 'nodes' in redis && typeof redis.nodes === 'function' ? redis.nodes('master') : [redis];
  // MATCH is a glob: a prefix holding *, ?, [ or \ must not widen it.
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      await page(node, keys);
    } while (cursor !== '0');
  }
}
