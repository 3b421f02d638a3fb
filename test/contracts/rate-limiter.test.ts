import { afterAll } from 'vitest';
import { RedisRateLimiter } from '../../services/adapters/redis/redis-rate-limiter.js';
import { TokenBucketLimiter } from '../../services/query/access.js';
import { unique } from '../support/names.js';
import { describeRateLimiterContract } from './rate-limiter.contract.js';
import { cleanUp, testRedis } from '../support/test-redis.js';

const redis = testRedis();
const prefix = unique('rl');

afterAll(() => cleanUp(redis, prefix));

describeRateLimiterContract('in-process token buckets (the fake)', () => new TokenBucketLimiter());
describeRateLimiterContract('Redis token buckets', () => new RedisRateLimiter(redis, prefix));
