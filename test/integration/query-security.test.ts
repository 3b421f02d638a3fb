import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFixture, type QueryFixture, grpcError } from '../support/query-fixture.js';

describe('query service: validation, authentication, rate limits', () => {
  let f: QueryFixture;

  beforeAll(async () => {
    f = await startFixture({ redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers') });
  });
  afterAll(async () => {
    await f.close();
  });

  it.each([
    ['limit=-1', 'limit', 'limit must be an integer from 1 to 200, got "-1"'],
    ['limit=100000', 'limit', 'limit must be an integer from 1 to 200, got "100000"'],
    ['strategy=popular', 'strategy', 'strategy must be one of ema, average, trend, hybrid, multi, got "popular"'],
    ['filter=year%3E%3Dabc', 'filter', 'filter: condition 1 ("year>=abc"): "abc" is not a number'],
    ['exclude=liked', 'exclude', 'exclude takes a comma list of seen, disliked (or none), got "liked"'],
    ['limt=5', 'limt', 'unknown query parameter "limt" (this route takes limit, strategy, exclude, filter, diversity, explain, after)'],
  ])('HTTP %s is a 400 naming the field %s', async (query, field, message) => {
    const res = await f.http(`/v1/users/u/recommendations?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'INVALID_INPUT', message, field } });
  });

  it('gRPC rejects the same input with INVALID_ARGUMENT, the same message and the field in trailers', async () => {
    expect(await grpcError(f.grpcCall('Recommend', { user_id: 'u', limit: 100000 }))).toEqual({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: 'limit must be an integer from 1 to 200, got "100000"',
      field: 'limit',
    });
    expect((await grpcError(f.grpcCall('Recommend', { user_id: 'u', strategy: 'popular' }))).field).toBe('strategy');
    expect((await grpcError(f.grpcCall('Recommend', { user_id: 'u', filter: 'a=' }))).field).toBe('filter');
    expect((await grpcError(f.grpcCall('Recommend', { user_id: '' }))).details).toBe('userId is required');
  });

  it('needs a valid API key on /v1 routes and gRPC calls when keys are configured', async () => {
    const missing = await f.http('/v1/users/u/recommendations', { key: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'missing API key: send "Authorization: Bearer <key>"' } });
    const wrong = await f.http('/v1/users/u/recommendations', { key: 'guess' });
    expect(wrong).toMatchObject({ status: 401, body: { error: { message: 'invalid API key' } } });
    expect((await grpcError(f.grpcCall('Recommend', { user_id: 'u' }, null))).code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect((await grpcError(f.grpcCall('GetInterest', { user_id: 'u' }, 'guess'))).code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect((await f.http('/v1/users/u/recommendations')).status).toBe(200);
  });

  it('answers unknown routes and server-side failures without internals', async () => {
    const res = await f.http('/v1/nothing-here');
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'no route GET /v1/nothing-here' } } });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts/);
  });
});

describe('query service: per-key rate limit shared by HTTP and gRPC, graceful close', () => {
  let f: QueryFixture;

  beforeAll(async () => {
    f = await startFixture({ redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { API_KEYS: 'k1,k2', RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await f.close();
  });

  it('refuses the fourth request of a key within the minute (429 / RESOURCE_EXHAUSTED), not another key', async () => {
    expect((await f.http('/v1/users/u/recommendations', { key: 'k1' })).status).toBe(200);
    expect((await f.http('/v1/users/u/recommendations', { key: 'k1' })).status).toBe(200);
    await f.grpcCall('Recommend', { user_id: 'u' }, 'k1');
    const limited = await f.http('/v1/users/u/recommendations', { key: 'k1' });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBe(20);
    expect((await grpcError(f.grpcCall('Recommend', { user_id: 'u' }, 'k1'))).code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect((await f.http('/v1/users/u/recommendations', { key: 'k2' })).status).toBe(200);
    // Operational routes are never limited.
    expect((await f.http('/healthz', { key: null })).status).toBe(200);
  });

  it('close() drains and stops both servers, and is idempotent', async () => {
    const inFlight = f.http('/v1/users/u/recommendations', { key: 'k2' });
    const closing = f.service.close();
    expect(f.service.close()).toBe(closing);
    await closing;
    expect((await inFlight).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${f.service.httpPort}/healthz`)).rejects.toThrow();
  });
});

describe('query service: a cap on requests in progress', () => {
  let f: QueryFixture;

  beforeAll(async () => {
    f = await startFixture({ redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { QUERY_MAX_IN_FLIGHT: '1', RATE_LIMIT_PER_MINUTE: '100000' } });
  });
  afterAll(async () => {
    await f.close();
  });

  it('answers a burst beyond the cap with 503 OVERLOADED and Retry-After at once, the rest normally', async () => {
    const burst = await Promise.all(Array.from({ length: 30 }, () => f.http('/v1/users/u/recommendations?limit=5')));
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    const refused = burst.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(refused[0]!.body).toEqual({
      error: { code: 'OVERLOADED', message: 'the query service is at capacity (1 requests in progress); retry shortly', requestId: refused[0]!.headers.get('x-request-id') },
    });
    expect(refused[0]!.headers.get('retry-after')).toBe('1');
    // Places are given back: once the burst is over, a request goes through.
    expect((await f.http('/v1/users/u/recommendations?limit=5')).status).toBe(200);
  });
});
