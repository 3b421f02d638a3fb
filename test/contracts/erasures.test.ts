import { afterAll } from 'vitest';
import { RedisErasures } from '../../services/adapters/redis/redis-erasures.js';
import { MemoryErasures } from '../support/fakes/erasures.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { describeErasuresContract } from './erasures.contract.js';

const redis = testRedis();
const root = unique('erasures');

afterAll(() => cleanUp(redis, root));

describeErasuresContract('in memory (the fake)', () => new MemoryErasures());
describeErasuresContract('Redis', () => new RedisErasures(redis, root, 60_000));
