import { afterAll } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { InMemoryUserStateStore } from '../../services/adapters/memory/memory-user-state-store.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { describeUserStateStoreContract } from './user-state-store.contract.js';

const redis = testRedis();
const keys = new RedisKeys(unique('states'), 'g1');

afterAll(() => cleanUp(redis, keys.root));

describeUserStateStoreContract('in memory (the fake)', () => new InMemoryUserStateStore());
describeUserStateStoreContract('Redis', () => new RedisUserStateStore(redis, keys));
