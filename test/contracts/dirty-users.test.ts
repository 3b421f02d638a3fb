import { afterAll } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { InMemoryDirtyUsers } from '../../services/adapters/memory/memory-dirty-users.js';
import { RedisDirtyUsers } from '../../services/adapters/redis/redis-dirty-users.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { describeDirtyUsersContract } from './dirty-users.contract.js';

const redis = testRedis();
const root = unique('dirty');

afterAll(() => cleanUp(redis, root));

describeDirtyUsersContract('in memory (the fake)', (shards) => new InMemoryDirtyUsers(shards));
// A generation of its own per set: each test starts with no dirty users.
describeDirtyUsersContract('Redis', (shards) => new RedisDirtyUsers(redis, new RedisKeys(root, unique('g')), shards));
