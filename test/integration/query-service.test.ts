import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { trendStrategy } from '../../services/domain/strategies.js';
import { fromUserPoint } from '../../services/core/user-record.js';
import { usersCollection } from '../../services/core/names.js';
import { bruteForce, GENERATION, startFixture, userState, type QueryFixture } from '../support/query-fixture.js';

const Q = new Float32Array([0.5, -0.5, 0.5, 0.5]);

function ids(items: Array<{ id: string }>): string[] {
  return items.map((i) => i.id);
}

describe('query service: recommendations over HTTP and gRPC', () => {
  let f: QueryFixture;
  let nearest: string[];

  beforeAll(async () => {
    f = await startFixture({ redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers') });
    nearest = ids(bruteForce(f.items, Q, [], 5));
    // The user dislikes the very nearest item and has seen the second: neither may come back.
    await f.users.putMany([userState('hot', { vector: Q, seen: [nearest[1]!], disliked: [nearest[0]!], recentViews: ['item-03', 'item-07', 'item-03'] })]);
    await f.popularity.record([
      { itemId: 'item-05', weight: 1, at: Date.now() },
      { itemId: 'item-09', weight: 3, at: Date.now() },
      { itemId: 'item-01', weight: 2, at: Date.now() },
    ]);
  });
  afterAll(async () => {
    await f.close();
  });

  it('HTTP and gRPC return the same top-k: the brute-force cosine ranking without seen and disliked items', async () => {
    const expected = bruteForce(f.items, Q, [nearest[0]!, nearest[1]!], 10);
    const http = await f.http('/v1/users/hot/recommendations?limit=10');
    expect(http.status).toBe(200);
    expect(http.body).toMatchObject({ userId: 'hot', strategy: 'ema', fallback: null, freshness: { eventCount: 3, updatedAt: 1_700_000_000_000 } });
    expect(ids(http.body.items)).toEqual(ids(expected));
    http.body.items.forEach((it: { score: number }, i: number) => expect(it.score).toBeCloseTo(expected[i]!.score, 5));
    expect(http.body.items[0].payload).toEqual(f.items.find((p) => p.id === expected[0]!.id)!.payload);

    const rpc = await f.grpcCall('Recommend', { user_id: 'hot', limit: 10 });
    expect(rpc).toMatchObject({ user_id: 'hot', strategy: 'ema', fallback: '', freshness: { event_count: 3, updated_at: 1_700_000_000_000 } });
    expect(rpc.items.map((i: { id: string; score: number; payload_json: string }) => ({ id: i.id, score: i.score, payload: JSON.parse(i.payload_json) }))).toEqual(http.body.items);
  });

  it('never returns a disliked item unless the caller explicitly leaves disliked out of exclude', async () => {
    const all = await f.http(`/v1/users/hot/recommendations?limit=40`);
    expect(ids(all.body.items)).not.toContain(nearest[0]);
    expect(all.body.items).toHaveLength(38);
    const seenOnly = await f.http('/v1/users/hot/recommendations?limit=3&exclude=seen');
    expect(ids(seenOnly.body.items)).toEqual(ids(bruteForce(f.items, Q, [nearest[1]!], 3)));
    const none = await f.grpcCall('Recommend', { user_id: 'hot', limit: 2, exclude: ['none'] });
    expect(none.items.map((i: { id: string }) => i.id)).toEqual(nearest.slice(0, 2));
  });

  it('applies the filter syntax on both transports', async () => {
    const scifi = f.items.filter((p) => p.payload.category === 'scifi' && (p.payload.year as number) >= 1990);
    const expected = ids(bruteForce(scifi, Q, [nearest[0]!, nearest[1]!], 5));
    const http = await f.http(`/v1/users/hot/recommendations?limit=5&filter=${encodeURIComponent('category:scifi,year>=1990')}`);
    expect(ids(http.body.items)).toEqual(expected);
    const rpc = await f.grpcCall('Recommend', { user_id: 'hot', limit: 5, filter: 'category:scifi,year>=1990' });
    expect(rpc.items.map((i: { id: string }) => i.id)).toEqual(expected);
  });

  it('average ranks by the normalised mean of the recently viewed items', async () => {
    const [a, b] = [f.items[3]!.vector, f.items[7]!.vector];
    const unit = (v: Float32Array) => v.map((x) => x / Math.hypot(...v));
    const mean = unit(unit(a).map((x, i) => (2 * x + unit(b)[i]!) / 3));
    const res = await f.http('/v1/users/hot/recommendations?limit=5&strategy=average');
    expect(res.body.fallback).toBeNull();
    expect(ids(res.body.items)).toEqual(ids(bruteForce(f.items, mean, [nearest[0]!, nearest[1]!], 5)));
  });

  it('trend falls back to ema until two snapshots exist, then ranks by the trend vector', async () => {
    const before = await f.http('/v1/users/hot/recommendations?limit=5&strategy=trend');
    expect(before.body).toMatchObject({ strategy: 'trend', fallback: 'insufficient_history' });
    expect(ids(before.body.items)).toEqual(ids(bruteForce(f.items, Q, [nearest[0]!, nearest[1]!], 5)));
    const snaps = [new Float32Array([1, 0, 0, 0]), new Float32Array([0.6, 0.8, 0, 0])].map((vector, i) => ({
      userId: 'hot', vector, takenAt: 1000 * (i + 1), eventCount: i + 1, watermarkPartition: 0, watermarkOffset: String(i), generation: GENERATION, window: i + 1,
    }));
    for (const s of snaps) await f.history.append(s);
    const trend = trendStrategy(snaps, f.config.trendWindow)!;
    const after = await f.grpcCall('Recommend', { user_id: 'hot', limit: 5, strategy: 'trend' });
    expect(after.fallback).toBe('');
    expect(after.items.map((i: { id: string }) => i.id)).toEqual(ids(bruteForce(f.items, trend.vector, [nearest[0]!, nearest[1]!], 5)));
  });

  it('serves a user found only in the durable store, and never writes it into Redis (ingest may hold a newer state)', async () => {
    const v = new Float32Array([-0.5, 0.5, 0.5, -0.5]);
    await f.seedDurable(userState('durable-only', { vector: v, eventCount: 9 }));
    const res = await f.http('/v1/users/durable-only/recommendations?limit=4');
    expect(res.body).toMatchObject({ fallback: null, freshness: { eventCount: 9 } });
    expect(ids(res.body.items)).toEqual(ids(bruteForce(f.items, v, [], 4)));
    expect((await f.users.getMany(['durable-only'])).has('durable-only')).toBe(false);
  });

  it('answers an unknown user with popular items in popularity order (cold_start, 200) on both transports', async () => {
    const res = await f.http('/v1/users/stranger/recommendations?limit=2');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ userId: 'stranger', fallback: 'cold_start', freshness: { eventCount: 0, updatedAt: null } });
    expect(ids(res.body.items)).toEqual(['item-09', 'item-01']);
    expect(res.body.items[0].score).toBeCloseTo(3, 3);
    const rpc = await f.grpcCall('Recommend', { user_id: 'stranger' });
    expect(rpc.fallback).toBe('cold_start');
    expect(rpc.items.map((i: { id: string }) => i.id)).toEqual(['item-09', 'item-01', 'item-05']);
    const drama = await f.http('/v1/users/stranger/recommendations?filter=category:drama');
    expect(ids(drama.body.items)).toEqual(['item-09', 'item-01', 'item-05']);
    const scifi = await f.http('/v1/users/stranger/recommendations?filter=category:scifi');
    expect(scifi.body.items).toEqual([]);
  });

  it('finds similar items (never the item itself) and says 404 for an unknown item', async () => {
    const item = f.items[10]!;
    const res = await f.http('/v1/items/item-10/similar?limit=3');
    expect(res.body.itemId).toBe('item-10');
    expect(ids(res.body.items)).toEqual(ids(bruteForce(f.items, item.vector, ['item-10'], 3)));
    const rpc = await f.grpcCall('SimilarItems', { item_id: 'item-10', limit: 3 });
    expect(rpc.items.map((i: { id: string }) => i.id)).toEqual(ids(res.body.items));
    const missing = await f.http('/v1/items/nope/similar');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({ code: 'NOT_FOUND', message: 'item "nope" is not in the catalogue', field: 'itemId' });
  });

  it('summarises interest state, with the vector only when asked', async () => {
    const res = await f.http('/v1/users/hot/interest');
    expect(res.body).toMatchObject({ userId: 'hot', source: 'redis', hasVector: true, dimension: 4, eventCount: 3, seenCount: 1, dislikedCount: 1 });
    expect(res.body.vector).toBeUndefined();
    const withVector = await f.http('/v1/users/hot/interest?include=vector');
    expect(withVector.body.vector).toEqual(Array.from(Q));
    const rpc = await f.grpcCall('GetInterest', { user_id: 'hot', include_vector: true });
    expect(rpc).toMatchObject({ user_id: 'hot', has_vector: true, dimension: 4, event_count: 3 });
    expect(rpc.vector).toEqual(Array.from(Q));
    expect((await f.http('/v1/users/stranger/interest')).status).toBe(404);
  });

  it('DELETE publishes ERASE and purges Redis, the durable record and history down to the tombstone at once', async () => {
    await f.seedDurable(userState('hot', { vector: Q }));
    const res = await f.http('/v1/users/hot', { method: 'DELETE' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ userId: 'hot', status: 'pending', purged: { redis: true, durable: true, historySnapshots: 2 } });
    expect(res.body.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.erasureId).toBe(res.body.eventId);
    const tombstone = { userId: 'hot', vector: null, erased: true, eventCount: 0, seen: [], disliked: [], recentViews: [], watermark: { partition: 0, offset: expect.any(String) } };
    expect((await f.users.getMany(['hot'])).get('hot')).toMatchObject(tombstone);
    const durable = (await f.vectors.get(usersCollection(GENERATION), ['hot'])).get('hot')!;
    expect(fromUserPoint(durable)).toMatchObject(tombstone);
    expect(durable.payload.hasVector).toBe(false);
    expect(await f.history.recent('hot', 10)).toEqual([]);
    const after = await f.http('/v1/users/hot/recommendations?limit=2');
    expect(after.body.fallback).toBe('cold_start');
    expect(ids(after.body.items)).toEqual(['item-09', 'item-01']);
  });

  it('serves health, readiness, metrics and the committed OpenAPI document without a key', async () => {
    expect(await f.http('/healthz', { key: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await f.http('/readyz', { key: null })).toMatchObject({ status: 200, body: { ready: true, checks: { producer: 'ok', redis: 'ok', vectorStore: 'ok' } } });
    const metrics = await f.http('/metrics', { key: null });
    expect(metrics.body).toMatch(/query_http_requests_total\{method="GET",route="\/v1\/users\/:userId\/recommendations",status="200"\} \d+/);
    expect(metrics.body).toMatch(/query_grpc_requests_total\{method="Recommend",code="OK"\} \d+/);
    const doc = await f.http('/openapi.json', { key: null });
    expect(doc.body).toEqual(JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')));
  });
});
