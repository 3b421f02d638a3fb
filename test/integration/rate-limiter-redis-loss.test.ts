/**
 * The query service's rate limiter when its Redis dies (SIGKILL) and comes back: requests go on
 * being limited, by this replica's own buckets, instead of all being let through; the shared
 * buckets answer again once Redis is back.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { createRedisClient, connectRedis } from '../../services/adapters/redis/redis-client.js';
import { RedisRateLimiter } from '../../services/adapters/redis/redis-rate-limiter.js';
import { silentLogger } from '../../services/core/logger.js';
import { rateLimitKey } from '../../services/core/names.js';
import { LocalFallbackLimiter } from '../../services/query/access.js';
import { eventually } from '../support/eventually.js';
import { OwnRedis } from '../support/own-redis.js';

describe('rate limiting through a Redis loss', () => {
  it('a killed redis-server: the fourth request of a 3-per-minute key is still refused, and the shared buckets take over again after the restart', async () => {
    const redis = new OwnRedis(21003);
    onTestFinished(() => redis.close());
    await redis.start();
    const client = createRedisClient({ url: redis.url, cluster: false, logger: silentLogger() });
    onTestFinished(() => void client.disconnect());
    await connectRedis(client, redis.url);
    const reported: boolean[] = [];
    const limiter = new LocalFallbackLimiter(new RedisRateLimiter(client, 'rl-loss'), silentLogger(), (d) => reported.push(d));
    const takes = async (bucket: string, n: number) => {
      const out: boolean[] = [];
      for (let i = 0; i < n; i++) out.push((await limiter.take(bucket, 3)).allowed);
      return out;
    };

    expect(await takes('before', 4)).toEqual([true, true, true, false]);
    expect(reported).toEqual([]);

    await redis.kill();
    expect(await takes('during', 4)).toEqual([true, true, true, false]);
    expect(reported).toEqual([true]);

    await redis.start();
    // The shared buckets again: a bucket spent on this replica alone is full in Redis.
    await eventually(async () => (await limiter.take('after', 3)).allowed && reported.length === 2, { timeoutMs: 20_000, intervalMs: 200 });
    expect(reported).toEqual([true, false]);
    expect(await client.exists(rateLimitKey('rl-loss', 'after'))).toBe(1);
  });
});
