import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { historyKey, RedisHistoryStore } from '../../services/adapters/redis/redis-history-store.js';
import { snap } from '../contracts/history-store.contract.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import type { RedisClient } from '../../services/adapters/redis/redis-client.js';

/** What the Redis adapter adds to the port's contract (test/contracts/history-store.contract.ts): its key layout. */
describe('RedisHistoryStore', () => {
  let redis: RedisClient;
  let keys: RedisKeys;
  let store: RedisHistoryStore;

  beforeAll(() => {
    redis = testRedis();
    keys = new RedisKeys(unique('hist'), 'g1');
    store = new RedisHistoryStore(redis, keys, 3);
  });
  afterAll(() => cleanUp(redis, keys.prefix));

  it('keeps the list under the user hash tag, and delete removes it', async () => {
    await store.append(snap('u4', 1, 0.3));
    await store.append(snap('u4', 2, 0.3));
    expect(historyKey(keys, 'u4')).toBe(`${keys.prefix}:history:{u4}`);
    expect(await redis.llen(historyKey(keys, 'u4'))).toBe(2);
    expect(await store.delete('u4')).toBe(2);
    expect(await redis.exists(historyKey(keys, 'u4'))).toBe(0);
  });
});
