import { describe, expect, it } from 'vitest';
import { AccessError, AccessGuard, TokenBucketLimiter, InFlightLimit } from '../../../services/query/access.js';
import { peerAddress } from '../../../services/query/grpc.js';

async function failure(p: Promise<unknown>): Promise<AccessError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof AccessError)) throw new Error('expected an AccessError');
  return e;
}

describe('TokenBucketLimiter', () => {
  it('allows a minute of budget at once, then refills at perMinute/60 per second, per client', async () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(3, () => now);
    expect((await limiter.take('a')).allowed).toBe(true);
    expect((await limiter.take('a')).allowed).toBe(true);
    expect(await limiter.take('a')).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(await limiter.take('a')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 20_000 });
    expect((await limiter.take('b')).allowed).toBe(true);
    now = 20_000;
    expect((await limiter.take('a')).allowed).toBe(true);
    expect((await limiter.take('a')).allowed).toBe(false);
  });
});

describe('AccessGuard', () => {
  const open = () => new TokenBucketLimiter(1000);

  it('lets everyone in when no keys are configured, identified by address', async () => {
    expect(await new AccessGuard([], open()).admit(undefined, '10.0.0.1')).toBe('addr:10.0.0.1');
  });

  it('requires one of the configured keys as a Bearer token and never echoes it', async () => {
    const guard = new AccessGuard(['k-one', 'k-two'], open());
    expect(await guard.admit('Bearer k-two', '1.1.1.1')).toMatch(/^key:[0-9a-f]{12}$/);
    expect((await failure(guard.admit(undefined, '1.1.1.1'))).message).toBe('missing API key: send "Authorization: Bearer <key>"');
    expect((await failure(guard.admit('Basic k-one', '1.1.1.1'))).message).toBe('malformed Authorization header: expected "Bearer <key>"');
    const wrong = await failure(guard.admit('Bearer k-three', '1.1.1.1'));
    expect(wrong.failure).toBe('unauthenticated');
    expect(wrong.message).not.toContain('k-three');
  });

  it('limits per key, not per address', async () => {
    const guard = new AccessGuard(['a', 'b'], new TokenBucketLimiter(1));
    await guard.admit('Bearer a', '1.1.1.1');
    const limited = await failure(guard.admit('Bearer a', '2.2.2.2'));
    expect(limited.failure).toBe('rate_limited');
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    await expect(guard.admit('Bearer b', '1.1.1.1')).resolves.toMatch(/^key:/);
  });
});

describe('peerAddress', () => {
  it('strips the scheme and port so gRPC and HTTP callers share one budget', () => {
    expect(peerAddress('ipv4:127.0.0.1:53422')).toBe('127.0.0.1');
    expect(peerAddress('ipv6:[::1]:53422')).toBe('::1');
  });
});

describe('InFlightLimit', () => {
  it('refuses beyond its cap with a retry hint, and a place given back (once) is free again', () => {
    const limit = new InFlightLimit(2);
    const a = limit.enter();
    const b = limit.enter();
    expect(() => limit.enter()).toThrow('the query service is at capacity (2 requests in progress); retry shortly');
    a();
    a();
    expect(limit.current).toBe(1);
    const c = limit.enter();
    expect(limit.current).toBe(2);
    b();
    c();
    expect(limit.current).toBe(0);
  });
});
