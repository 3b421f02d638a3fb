import { afterAll } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { InMemoryHistoryStore } from '../../services/adapters/memory/memory-history-store.js';
import { RedisErasures } from '../../services/adapters/redis/redis-erasures.js';
import { RedisHistoryStore } from '../../services/adapters/redis/redis-history-store.js';
import type { Watermark } from '../../services/domain/types.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { describeHistoryStoreContract } from './history-store.contract.js';

const redis = testRedis();
const keys = new RedisKeys(unique('history'), 'g1');
const erasures = new RedisErasures(redis, keys.root, 60_000);

afterAll(() => cleanUp(redis, keys.root));

describeHistoryStoreContract('in memory (the fake)', (size) => {
  const markers = new Map<string, Watermark>();
  return {
    history: new InMemoryHistoryStore(size, (userId) => markers.get(userId)),
    erase: async (userId, watermark) => void markers.set(userId, watermark),
  };
});
describeHistoryStoreContract('Redis', (size) => ({
  history: new RedisHistoryStore(redis, keys, size),
  erase: (userId, watermark) => erasures.mark({ userId, watermark, at: 1 }),
}));
