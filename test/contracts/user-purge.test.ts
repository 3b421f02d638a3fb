import { afterAll } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { InMemoryHistoryStore } from '../../services/adapters/memory/memory-history-store.js';
import { InMemoryUserStateStore } from '../../services/adapters/memory/memory-user-state-store.js';
import { RedisHistoryStore } from '../../services/adapters/redis/redis-history-store.js';
import { RedisUserPurge } from '../../services/adapters/redis/redis-user-purge.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import { MemoryUserPurge } from '../support/fakes/erasures.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { describeUserPurgeContract } from './user-purge.contract.js';

const redis = testRedis();
const keys = new RedisKeys(unique('purge'), 'g1');

afterAll(() => cleanUp(redis, keys.root));

describeUserPurgeContract('in memory (the fake)', () => {
  const states = new InMemoryUserStateStore();
  const history = new InMemoryHistoryStore(10, () => undefined);
  return { purge: new MemoryUserPurge(states, history), states, history };
});
describeUserPurgeContract('Redis', () => ({
  purge: new RedisUserPurge(redis, keys, 4),
  states: new RedisUserStateStore(redis, keys),
  history: new RedisHistoryStore(redis, keys, 10),
}));
