import { afterAll } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { InMemoryPopularityStore } from '../../services/adapters/memory/memory-popularity-store.js';
import { RedisPopularityStore } from '../../services/adapters/redis/redis-popularity-store.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { describePopularityStoreContract } from './popularity-store.contract.js';

const redis = testRedis();
const root = unique('popularity');

afterAll(() => cleanUp(redis, root));

describePopularityStoreContract('in memory (the fake)', (options) => new InMemoryPopularityStore(options));
// A generation of its own per store: each test starts from no counts, over the default 8 shards.
describePopularityStoreContract('Redis', (options) => new RedisPopularityStore(redis, new RedisKeys(root, unique('g')), options));
