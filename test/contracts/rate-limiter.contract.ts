/**
 * The RateLimiter conformance suite: the in-process fake (unit tests) and the Redis adapter (the
 * service) run it unchanged, so the fake cannot drift from what replicas share.
 */
import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../services/domain/ports/index.js';
import { unique } from '../support/names.js';

export function describeRateLimiterContract(name: string, make: () => RateLimiter): void {
  describe(`RateLimiter contract: ${name}`, () => {
    it('allows exactly a minute of budget at once, then refuses with the wait for one token', async () => {
      const limiter = make();
      const bucket = unique('b');
      const decisions = [];
      for (let i = 0; i < 6; i++) decisions.push(await limiter.take(bucket, 5));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
      expect(decisions.slice(0, 5).map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0]);
      // One token every 12 s; a few ms have passed since the bucket was full.
      expect(decisions[5]!.retryAfterMs).toBeGreaterThan(11_000);
      expect(decisions[5]!.retryAfterMs).toBeLessThanOrEqual(12_000);
    });

    it('keeps buckets apart', async () => {
      const limiter = make();
      const [a, b] = [unique('a'), unique('b')];
      expect((await limiter.take(a, 1)).allowed).toBe(true);
      expect((await limiter.take(a, 1)).allowed).toBe(false);
      expect((await limiter.take(b, 1)).allowed).toBe(true);
    });

    it('refills continuously at perMinute / 60 per second', async () => {
      const limiter = make();
      const bucket = unique('r');
      for (let i = 0; i < 60; i++) expect((await limiter.take(bucket, 60)).allowed).toBe(true);
      const refused = await limiter.take(bucket, 60);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
      await new Promise((r) => setTimeout(r, refused.retryAfterMs + 50));
      expect((await limiter.take(bucket, 60)).allowed).toBe(true);
      expect((await limiter.take(bucket, 60)).allowed).toBe(false);
    });
  });
}
