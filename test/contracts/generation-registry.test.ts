import { afterAll } from 'vitest';
import { InMemoryGenerationRegistry } from '../../services/adapters/memory/memory-generation-registry.js';
import { RedisGenerationRegistry } from '../../services/adapters/redis/redis-generation-registry.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { describeGenerationRegistryContract } from './generation-registry.contract.js';

const redis = testRedis();
const root = unique('registry');

afterAll(() => cleanUp(redis, root));

describeGenerationRegistryContract('in memory (the fake)', () => new InMemoryGenerationRegistry());
// A root of its own per registry (the registry's keys sit under the root, shared by generations).
describeGenerationRegistryContract('Redis', () => new RedisGenerationRegistry(redis, `${root}:${unique('r')}`));
