import calculateSlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { EPOCH_MEMBER, RedisPopularityStore } from '../../services/adapters/redis/redis-popularity-store.js';
import { foldLegacyPopularityKey } from '../../services/adapters/redis/popularity-legacy-key.js';
import { unique } from '../support/names.js';
import { deleteKeys, testRedis } from '../support/test-redis.js';
import type { RedisClient } from '../../services/adapters/redis/redis-client.js';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

/** What the Redis adapter adds to the port's contract (test/contracts/popularity-store.contract.ts): shards, cache, stored scores, the legacy key. */
describe('RedisPopularityStore', () => {
  let redis: RedisClient;
  const prefixes: string[] = [];

  function storeWithKeys(rescaleExponent?: number, more: { shards?: number; cacheMs?: number } = {}): { s: RedisPopularityStore; keys: RedisKeys } {
    const keys = new RedisKeys(unique('pop'), 'g1');
    prefixes.push(keys.prefix);
    return { s: new RedisPopularityStore(redis, keys, { halfLifeMs: HOUR, ...(rescaleExponent === undefined ? {} : { rescaleExponent }), ...more }), keys };
  }
  const store = (): RedisPopularityStore => storeWithKeys().s;

  beforeAll(() => {
    redis = testRedis();
  });
  afterAll(async () => {
    for (const p of prefixes) {
      await deleteKeys(redis, `${p}:*`);
    }
    await redis.quit();
  });

  it('rescales before the multiplier could overflow', async () => {
    const { s, keys } = storeWithKeys(4, { shards: 1 });
    await s.record([
      { itemId: 'a', weight: 3, at: T0 },
      { itemId: 'b', weight: 1, at: T0 + HOUR },
    ]);
    // 10 half-lives on: beyond the rescale threshold of 4, so scores are divided by 2^10 and epoch0 moves.
    await s.record([{ itemId: 'c', weight: 1, at: T0 + 10 * HOUR }]);
    // The counts stay exact (the contract checks them); here, what is stored.
    // Without the rescale the largest score would be 2^10; with it, no stored score exceeds 2^1.
    const key = keys.popularShard(0);
    const scores = (await redis.zrange(key, 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
    expect(Math.max(...scores)).toBeLessThanOrEqual(2);
  });

  it('spreads items over its shards, one slot each, and merges them into one exact ranking', async () => {
    const { s, keys } = storeWithKeys(undefined, { shards: 4 });
    const items = Array.from({ length: 40 }, (_, i) => `item-${i}`);
    // item-i gets i + 1 views an hour ago and one view now: exactly (i + 1) / 2 + 1 as of now.
    await s.record(items.map((itemId, i) => ({ itemId, weight: i + 1, at: T0 })));
    await s.record(items.map((itemId) => ({ itemId, weight: 1, at: T0 + HOUR })));
    const used = await Promise.all([0, 1, 2, 3].map((n) => redis.zcard(keys.popularShard(n))));
    expect(used.every((n) => n > 1)).toBe(true);
    expect(used.reduce((a, b) => a + b, 0)).toBe(40 + 4); // every item once, plus one epoch member per shard
    // The slots Redis Cluster would place the shards in (the same CRC16 ioredis routes by).
    expect(new Set([0, 1, 2, 3].map((n) => calculateSlot(keys.popularShard(n)))).size).toBe(4);
    expect(await s.top(5, { now: T0 + HOUR, excludeIds: ['item-38'] })).toEqual(
      [39, 37, 36, 35, 34].map((i) => ({ itemId: `item-${i}`, score: (i + 1) / 2 + 1 })),
    );
  });

  it('serves top from its brief cache within cacheMs, then reads again', async () => {
    const { s } = storeWithKeys(undefined, { shards: 3, cacheMs: 400 });
    await s.record([{ itemId: 'a', weight: 1, at: T0 }]);
    expect((await s.top(5, { now: T0 })).map((t) => t.itemId)).toEqual(['a']);
    await s.record([{ itemId: 'b', weight: 5, at: T0 }]);
    expect((await s.top(5, { now: T0 })).map((t) => t.itemId)).toEqual(['a']);
    await new Promise((r) => setTimeout(r, 450));
    expect((await s.top(5, { now: T0 })).map((t) => t.itemId)).toEqual(['b', 'a']);
  });

  it('counts an item whose id is the reserved epoch member like any other', async () => {
    const s = store();
    await s.record([{ itemId: EPOCH_MEMBER, weight: 2, at: T0 }, { itemId: 'plain', weight: 1, at: T0 }, { itemId: '\u0000\u0000x', weight: 3, at: T0 }], T0);
    expect(await s.top(10, { now: T0 })).toEqual([
      { itemId: '\u0000\u0000x', score: 3 },
      { itemId: EPOCH_MEMBER, score: 2 },
      { itemId: 'plain', score: 1 },
    ]);
    expect(await s.top(10, { now: T0, excludeIds: [EPOCH_MEMBER] })).toEqual([
      { itemId: '\u0000\u0000x', score: 3 },
      { itemId: 'plain', score: 1 },
    ]);
  });

  it('folds the one key of versions before POPULAR_SHARDS into the shards once, and deletes it', async () => {
    const { s, keys } = storeWithKeys(undefined, { shards: 4 });
    // The old layout: one sorted set, scores relative to its epoch member (−epoch0). As of T0:
    // a has 8 views, b 2; c has 1e-7 of a view, below what the store keeps.
    await redis.zadd(keys.popular(), -T0, EPOCH_MEMBER, 8, 'a', 2, 'b', 1e-7, 'c');
    await s.record([{ itemId: 'a', weight: 1, at: T0 + HOUR }], T0 + HOUR);
    expect(await foldLegacyPopularityKey(redis, keys, s, HOUR, T0 + HOUR)).toBe(2);
    expect(await redis.exists(keys.popular())).toBe(0);
    // One half-life later: a 8/2 + 1 (the new view), b 2/2; c forgotten.
    expect(await s.top(10, { now: T0 + HOUR })).toEqual([
      { itemId: 'a', score: 5 },
      { itemId: 'b', score: 1 },
    ]);
    expect(await foldLegacyPopularityKey(redis, keys, s, HOUR, T0 + HOUR)).toBe(0);
    expect((await s.top(10, { now: T0 + HOUR })).map((t) => t.score)).toEqual([5, 1]);
  });
});
