import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseApiKeyEntry } from '../../../services/core/api-keys.js';
import { AccessError, AccessGuard, TokenBucketLimiter, InFlightLimit, LocalFallbackLimiter } from '../../../services/query/access.js';
import { InterestStreamError } from '../../../services/domain/errors.js';
import type { RateLimiter } from '../../../services/domain/ports/index.js';
import { createRootLogger } from '../../../services/core/logger.js';
import { peerAddress } from '../../../services/query/grpc.js';

async function failure(p: Promise<unknown>): Promise<AccessError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof AccessError)) throw new Error('expected an AccessError');
  return e;
}

describe('TokenBucketLimiter', () => {
  it('allows a minute of budget at once, then refills at perMinute/60 per second, per bucket', async () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(() => now);
    expect((await limiter.take('a', 3)).allowed).toBe(true);
    expect((await limiter.take('a', 3)).allowed).toBe(true);
    expect(await limiter.take('a', 3)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(await limiter.take('a', 3)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 20_000 });
    expect((await limiter.take('b', 3)).allowed).toBe(true);
    now = 20_000;
    expect((await limiter.take('a', 3)).allowed).toBe(true);
    expect((await limiter.take('a', 3)).allowed).toBe(false);
  });
});

describe('LocalFallbackLimiter', () => {
  /** The shared buckets (Redis), which can go down, and what the fallback logged and reported. */
  function setup() {
    let now = 0;
    const shared = { down: false, taken: 0 };
    const sharedLimiter: RateLimiter = {
      take: async () => {
        if (shared.down) throw new InterestStreamError('STORE_UNAVAILABLE', 'redis down');
        shared.taken++;
        return { allowed: true, remaining: 99, retryAfterMs: 0 };
      },
    };
    const logs: Array<{ level: number; msg: string }> = [];
    const log = createRootLogger({ level: 'info', name: 't' }, { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string }) });
    const reported: boolean[] = [];
    const limiter = new LocalFallbackLimiter(sharedLimiter, log, (d) => reported.push(d), () => now);
    return { shared, limiter, logs, reported, advance: (ms: number) => (now += ms) };
  }

  it('answers from the shared buckets while they answer', async () => {
    const { shared, limiter, reported } = setup();
    expect(await limiter.take('k', 2)).toEqual({ allowed: true, remaining: 99, retryAfterMs: 0 });
    expect(shared.taken).toBe(1);
    expect(reported).toEqual([]);
  });

  it('keeps limiting, with a budget of its own, while the shared buckets cannot answer — not letting everything through — and logs the switch once each way', async () => {
    const { shared, limiter, logs, reported, advance } = setup();
    shared.down = true;
    expect((await limiter.take('k', 2)).allowed).toBe(true);
    expect((await limiter.take('k', 2)).allowed).toBe(true);
    expect(await limiter.take('k', 2)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 30_000 });
    expect((await limiter.take('other', 2)).allowed).toBe(true);
    advance(30_000);
    expect((await limiter.take('k', 2)).allowed).toBe(true);
    expect(reported).toEqual([true]);
    shared.down = false;
    expect(await limiter.take('k', 2)).toEqual({ allowed: true, remaining: 99, retryAfterMs: 0 });
    expect(await limiter.take('k', 2)).toEqual({ allowed: true, remaining: 99, retryAfterMs: 0 });
    expect(reported).toEqual([true, false]);
    expect(logs.map((l) => [l.level, l.msg])).toEqual([
      [40, 'rate limiter: the shared buckets (Redis) cannot answer; this replica charges its own budget until they can'],
      [30, 'rate limiter: the shared buckets (Redis) answer again'],
    ]);
  });
});

const POLICY = { perKey: 1000, perAddress: 0, authFailures: 1000 };
const key = (id: string, scope: 'read' | 'erase', secret: string) => parseApiKeyEntry(`${id}:${scope}:${secret}`);

describe('AccessGuard', () => {
  it('lets everyone in when no keys are configured, without a per-address limit by default', async () => {
    const guard = new AccessGuard([], new TokenBucketLimiter(), POLICY);
    for (let i = 0; i < 2000; i++) await guard.admit(undefined, '10.0.0.1', 'erase');
    expect(await guard.admit(undefined, '10.0.0.1', 'read')).toEqual({ keyId: undefined, address: '10.0.0.1' });
  });

  it('limits per address without keys when RATE_LIMIT_PER_ADDRESS_PER_MINUTE is set, naming the limit', async () => {
    const guard = new AccessGuard([], new TokenBucketLimiter(() => 0), { ...POLICY, perAddress: 2 });
    await guard.admit(undefined, '10.0.0.1', 'read');
    await guard.admit(undefined, '10.0.0.1', 'read');
    const limited = await failure(guard.admit(undefined, '10.0.0.1', 'read'));
    expect(limited).toMatchObject({ failure: 'rate_limited', retryAfterMs: 30_000 });
    expect(limited.message).toBe('rate limit of 2 requests per minute for this client address exceeded; retry in 30 s');
    await expect(guard.admit(undefined, '10.0.0.2', 'read')).resolves.toEqual({ keyId: undefined, address: '10.0.0.2' });
  });

  it('requires one of the configured keys as a Bearer token and never echoes it', async () => {
    const guard = new AccessGuard([key('one', 'read', 'k-one'), key('two', 'erase', 'k-two')], new TokenBucketLimiter(), POLICY);
    expect(await guard.admit('Bearer k-two', '1.1.1.1', 'read')).toEqual({ keyId: 'two', address: '1.1.1.1' });
    expect((await failure(guard.admit(undefined, '1.1.1.1', 'read'))).message).toBe('missing API key: send "Authorization: Bearer <key>"');
    expect((await failure(guard.admit('Basic k-one', '1.1.1.1', 'read'))).message).toBe('malformed Authorization header: expected "Bearer <key>"');
    const wrong = await failure(guard.admit('Bearer k-three', '1.1.1.1', 'read'));
    expect(wrong.failure).toBe('unauthenticated');
    expect(wrong.message).not.toContain('k-three');
  });

  it('accepts a key configured as its SHA-256 digest, and several keys at once (rotation)', async () => {
    const digest = createHash('sha256').update('new-secret').digest('hex');
    const guard = new AccessGuard([key('old', 'read', 'old-secret'), key('new', 'read', `sha256:${digest}`)], new TokenBucketLimiter(), POLICY);
    expect((await guard.admit('Bearer old-secret', 'a', 'read')).keyId).toBe('old');
    expect((await guard.admit('Bearer new-secret', 'a', 'read')).keyId).toBe('new');
    expect((await failure(guard.admit(`Bearer ${digest}`, 'a', 'read'))).failure).toBe('unauthenticated');
  });

  it('refuses erasure to a read key (forbidden) and allows it to an erase key', async () => {
    const guard = new AccessGuard([key('reader', 'read', 'r'), key('eraser', 'erase', 'e')], new TokenBucketLimiter(), POLICY);
    const refused = await failure(guard.admit('Bearer r', 'a', 'erase'));
    expect(refused).toMatchObject({ failure: 'forbidden', message: 'API key "reader" has the read scope; this call needs erase' });
    expect((await guard.admit('Bearer e', 'a', 'erase')).keyId).toBe('eraser');
  });

  it('limits per key, not per address', async () => {
    const guard = new AccessGuard([key('a', 'read', 'a'), key('b', 'read', 'b')], new TokenBucketLimiter(), { ...POLICY, perKey: 1 });
    await guard.admit('Bearer a', '1.1.1.1', 'read');
    const limited = await failure(guard.admit('Bearer a', '2.2.2.2', 'read'));
    expect(limited.failure).toBe('rate_limited');
    expect(limited.message).toMatch(/^rate limit of 1 requests per minute for API key "a" exceeded; retry in \d+ s$/);
    await expect(guard.admit('Bearer b', '1.1.1.1', 'read')).resolves.toEqual({ keyId: 'b', address: '1.1.1.1' });
  });

  it('charges failed authentications to the address: guessing turns into 429, a valid key still works', async () => {
    const guard = new AccessGuard([key('a', 'read', 'secret')], new TokenBucketLimiter(() => 0), { ...POLICY, authFailures: 3 });
    for (let i = 0; i < 3; i++) expect((await failure(guard.admit(`Bearer guess-${i}`, '6.6.6.6', 'read'))).failure).toBe('unauthenticated');
    const throttled = await failure(guard.admit('Bearer guess-4', '6.6.6.6', 'read'));
    expect(throttled.message).toBe('rate limit of 3 requests per minute for failed authentications from this client address exceeded; retry in 20 s');
    expect((await failure(guard.admit(undefined, '6.6.6.6', 'read'))).failure).toBe('rate_limited');
    expect((await guard.admit('Bearer secret', '6.6.6.6', 'read')).keyId).toBe('a');
    expect((await failure(guard.admit('Bearer guess', '7.7.7.7', 'read'))).failure).toBe('unauthenticated');
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
