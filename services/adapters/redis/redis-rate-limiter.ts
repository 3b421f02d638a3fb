/**
 * Token buckets in Redis, so every query replica charges the same budget: N replicas behind a load
 * balancer give a client one budget, not N. One script call (one round trip) per request.
 */
import { toInterestStreamError } from '../../domain/errors.js';
import { rateLimitKey } from '../../core/names.js';
import type { RateDecision, RateLimiter } from '../../domain/ports/index.js';
import { type RedisClient, defineScripts } from './redis-client.js';

// A bucket holds up to `capacity` tokens and refills `rate` tokens per ms. Redis' own clock (TIME)
// is the only clock, so replicas with skewed clocks still agree. The key expires once it would be
// full again, which is the same as not existing.
const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or capacity
local at = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
return {allowed, math.floor(tokens), retry}
`;

interface RateCommands {
  isTakeToken(key: string, capacity: number, ratePerMs: number): Promise<[number, number, number]>;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: RedisClient & RateCommands;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.redis = defineScripts<RateCommands>(redis, { isTakeToken: { keys: 1, lua: TAKE_SCRIPT } });
  }

  /**
   * Takes one token from `bucket` (capacity `perMinute`, refilled continuously). Throws
   * STORE_UNAVAILABLE when Redis cannot answer; the query service then charges a budget of its own
   * (LocalFallbackLimiter, services/query/access.ts).
   */
  async take(bucket: string, perMinute: number): Promise<RateDecision> {
    try {
      const [allowed, remaining, retryAfterMs] = await this.redis.isTakeToken(rateLimitKey(this.prefix, bucket), perMinute, perMinute / 60_000);
      return { allowed: allowed === 1, remaining, retryAfterMs };
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}
