import { Redis } from 'ioredis';
import { afterAll, inject } from 'vitest';
import { silentLogger } from '../../services/core/logger.js';
import { RedisRateLimiter } from '../../services/adapters/redis/redis-rate-limiter.js';
import { TokenBucketLimiter } from '../../services/query/access.js';
import { unique } from '../support/names.js';
import { describeRateLimiterContract } from './rate-limiter.contract.js';

const redis = new Redis(inject('redisUrl'));
const prefix = unique('rl');

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describeRateLimiterContract('in-process token buckets (the fake)', () => new TokenBucketLimiter());
describeRateLimiterContract('Redis token buckets', () => new RedisRateLimiter(redis, prefix, silentLogger()));
