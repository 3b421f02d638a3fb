import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/core/config.js';

describe('configuration of recommendation quality', () => {
  it('has defaults: article trend, λ 0.1, no buckets', () => {
    const c = loadConfig({});
    expect([c.trendMomentum, c.hybridLambda, c.strategyBuckets, c.bucketSalt]).toEqual([1, 0.1, [], 'interest-stream']);
  });

  it('reads TREND_MOMENTUM, HYBRID_LAMBDA, STRATEGY_BUCKETS and BUCKET_SALT', () => {
    const c = loadConfig({ TREND_MOMENTUM: '0.5', HYBRID_LAMBDA: '0.2', STRATEGY_BUCKETS: 'ema:50, hybrid:50', BUCKET_SALT: 'exp-7' });
    expect([c.trendMomentum, c.hybridLambda, c.strategyBuckets.map((b) => b.name), c.bucketSalt]).toEqual([0.5, 0.2, ['ema:50', 'hybrid:50'], 'exp-7']);
  });

  it('lists every bad value in one error', () => {
    expect(() => loadConfig({ TREND_MOMENTUM: '-1', HYBRID_LAMBDA: 'x', STRATEGY_BUCKETS: 'ema:50,popularity:50' })).toThrow(
      /TREND_MOMENTUM="-1": must be a number from 0 to 10[\s\S]*HYBRID_LAMBDA="x"[\s\S]*STRATEGY_BUCKETS: bucket "popularity:50": strategy must be one of ema, average, trend, hybrid, multi/,
    );
  });

  it('reads MULTI_INTERESTS, MULTI_THRESHOLD and MULTI_HALF_LIFE_MS, with defaults 3, 0.5 and 1 hour', () => {
    expect(loadConfig({}).multi).toEqual({ maxInterests: 3, threshold: 0.5, halfLifeMs: 3_600_000 });
    expect(loadConfig({ MULTI_INTERESTS: '0', MULTI_THRESHOLD: '0.7', MULTI_HALF_LIFE_MS: '3600000' }).multi).toEqual({ maxInterests: 0, threshold: 0.7, halfLifeMs: 3_600_000 });
    expect(() => loadConfig({ MULTI_INTERESTS: '-1', MULTI_THRESHOLD: '2', MULTI_HALF_LIFE_MS: '0' })).toThrow(
      /MULTI_INTERESTS="-1": must be an integer from 0 to 32[\s\S]*MULTI_THRESHOLD="2": must be a number from 0 to 1[\s\S]*MULTI_HALF_LIFE_MS="0"/,
    );
  });

  it('reads IMPRESSIONS_TOPIC, unset by default (no impressions written)', () => {
    expect(loadConfig({}).impressionsTopic).toBeUndefined();
    expect(loadConfig({ IMPRESSIONS_TOPIC: 'impressions' }).impressionsTopic).toBe('impressions');
  });
});
