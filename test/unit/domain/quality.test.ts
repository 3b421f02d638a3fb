import { describe, expect, it } from 'vitest';
import { assignBucket, parseBuckets } from '../../../services/domain/buckets.js';
import { explainItem } from '../../../services/domain/explain.js';
import { hybridScore, mmr } from '../../../services/domain/rerank.js';
import { InterestStreamError } from '../../../services/domain/errors.js';

const v = (...x: number[]) => new Float32Array(x);

describe('A/B buckets', () => {
  const buckets = parseBuckets('ema:70,hybrid:30', ['ema', 'hybrid', 'trend']);

  it('parses strategy:weight lists and names what is wrong', () => {
    expect(buckets).toEqual([
      { name: 'ema:70', strategy: 'ema', weight: 70 },
      { name: 'hybrid:30', strategy: 'hybrid', weight: 30 },
    ]);
    expect(parseBuckets('', ['ema'])).toEqual([]);
    expect(() => parseBuckets('ema:50,magic:50', ['ema'])).toThrow('bucket "magic:50": strategy must be one of ema');
    expect(() => parseBuckets('ema', ['ema'])).toThrow('bucket "ema" is not <strategy>:<weight>');
    expect(() => parseBuckets('ema:0', ['ema'])).toThrow(InterestStreamError);
    expect(() => parseBuckets('ema:1,ema:2', ['ema'])).toThrow('strategy ema has two buckets');
  });

  it('assigns a user always to the same bucket, in proportion to the weights, and reshuffles with the salt', () => {
    const users = Array.from({ length: 4000 }, (_, i) => `user-${i}`);
    const share = users.filter((u) => assignBucket(u, 's', buckets)!.strategy === 'hybrid').length / users.length;
    // 4,000 draws of p = 0.3: the standard deviation is 0.0072
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
    expect(users.slice(0, 50).map((u) => assignBucket(u, 's', buckets))).toEqual(users.slice(0, 50).map((u) => assignBucket(u, 's', buckets)));
    const moved = users.filter((u) => assignBucket(u, 's', buckets)!.name !== assignBucket(u, 't', buckets)!.name).length / users.length;
    // independent assignments disagree with probability 2·0.7·0.3 = 0.42
    expect(moved).toBeGreaterThan(0.38);
    expect(moved).toBeLessThan(0.46);
    expect(assignBucket('u', 's', [])).toBeNull();
  });
});

describe('re-ranking', () => {
  it('hybrid adds λ·log(1 + views) to the cosine', () => {
    expect(hybridScore(0.5, Math.E - 1, 0.2)).toBeCloseTo(0.7, 12);
    expect(hybridScore(0.5, 0, 0.2)).toBe(0.5);
  });

  it('MMR keeps the score order at 0 and skips near-duplicates as diversity grows', () => {
    const candidates = [
      { id: 'a', vector: v(1, 0), score: 0.9 },
      { id: 'a2', vector: v(0.99, 0.01), score: 0.89 },
      { id: 'b', vector: v(0, 1), score: 0.6 },
    ];
    expect(mmr(candidates, 3, 0)).toEqual([0, 1, 2]);
    // at d = 0.5: after a, a2 scores 0.5·0.89 − 0.5·0.99995 < b's 0.5·0.6 − 0.5·0
    expect(mmr(candidates, 2, 0.5)).toEqual([0, 2]);
    expect(mmr(candidates, 5, 0.5)).toHaveLength(3);
  });
});

describe('explanations', () => {
  it('weights each recent view by α(1 − α)^age and its cosine with the item, largest first', () => {
    const recent = [
      { id: 'old', vector: v(1, 0) },
      { id: 'mid', vector: v(0, 1) },
      { id: 'new', vector: v(1, 1) },
    ];
    const out = explainItem(v(1, 0), recent, 0.5);
    // new: cos 0.7071 × 0.5; old: 1 × 0.125; mid: 0 × 0.25
    expect(out.map((c) => c.itemId)).toEqual(['new', 'old', 'mid']);
    expect(out[0]!.contribution).toBeCloseTo(Math.SQRT1_2 * 0.5, 6);
    expect(out[1]).toEqual({ itemId: 'old', cosine: 1, weight: 0.125, contribution: 0.125 });
    expect(explainItem(v(1, 0), recent, 0.5, 1)).toHaveLength(1);
  });
});
