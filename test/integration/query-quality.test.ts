import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GENERATION, bruteForce, startFixture, userState, type QueryFixture } from '../support/query-fixture.js';
import { cosine } from '../support/math.js';

const Q = new Float32Array([0.5, -0.5, 0.5, 0.5]);
const LAMBDA = 0.3;
const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);

describe('query service: hybrid, diversity, explanations, A/B buckets, damped trend', () => {
  let f: QueryFixture;
  let excluded: string[];
  const pops: Record<string, number> = { 'item-05': 1, 'item-09': 30, 'item-01': 2, 'item-20': 8 };

  beforeAll(async () => {
    f = await startFixture({
      redisUrl: inject('redisUrl'),
      kafkaBrokers: inject('kafkaBrokers'),
      env: { HYBRID_LAMBDA: String(LAMBDA), STRATEGY_BUCKETS: 'ema:50,hybrid:50', BUCKET_SALT: 'salt-1', TREND_MOMENTUM: '0.5' },
    });
    const nearest = ids(bruteForce(f.items, Q, [], 2));
    excluded = nearest;
    await f.users.putMany([userState('hot', { vector: Q, seen: [nearest[1]!], disliked: [nearest[0]!], recentViews: ['item-03', 'item-07', 'item-11'] })]);
    const now = Date.now();
    await f.popularity.record(Object.entries(pops).map(([itemId, weight]) => ({ itemId, weight, at: now })));
  });
  afterAll(() => f.close());

  it('hybrid ranks the whole (small) catalogue by cosine + λ·log(1 + views), on both transports', async () => {
    const expected = f.items
      .filter((p) => !excluded.includes(p.id))
      .map((p) => ({ id: p.id, score: cosine(Q, p.vector) + LAMBDA * Math.log1p(pops[p.id] ?? 0) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 8);
    const http = await f.http('/v1/users/hot/recommendations?limit=8&strategy=hybrid');
    expect(http.body).toMatchObject({ strategy: 'hybrid', bucket: null, fallback: null });
    expect(ids(http.body.items)).toEqual(ids(expected));
    http.body.items.forEach((it: { score: number }, i: number) => expect(it.score).toBeCloseTo(expected[i]!.score, 5));
    // item-09's 30 views lift it above nearer items
    expect(ids(http.body.items)).toContain('item-09');
    const rpc = await f.grpcCall('Recommend', { user_id: 'hot', limit: 8, strategy: 'hybrid' });
    expect(rpc.items.map((i: { id: string }) => i.id)).toEqual(ids(expected));
  });

  it('diversity re-ranks the nearest items by maximal marginal relevance', async () => {
    const d = 0.6;
    const pool = bruteForce(f.items, Q, excluded, 50).map((h) => ({ ...h, vector: f.items.find((p) => p.id === h.id)!.vector }));
    const picked: typeof pool = [];
    while (picked.length < 6) {
      const rest = pool.filter((c) => !picked.includes(c));
      const value = (c: (typeof pool)[number]) => (1 - d) * c.score - d * (picked.length === 0 ? 0 : Math.max(...picked.map((p) => cosine(p.vector, c.vector))));
      picked.push(rest.reduce((best, c) => (value(c) > value(best) ? c : best)));
    }
    const http = await f.http(`/v1/users/hot/recommendations?limit=6&diversity=${d}&strategy=ema`);
    expect(ids(http.body.items)).toEqual(ids(picked));
    expect(ids(http.body.items)).not.toEqual(ids(pool.slice(0, 6)));
    const rpc = await f.grpcCall('Recommend', { user_id: 'hot', limit: 6, diversity: d, strategy: 'ema' });
    expect(rpc.items.map((i: { id: string }) => i.id)).toEqual(ids(picked));
    const plain = await f.http('/v1/users/hot/recommendations?limit=6&diversity=0&strategy=ema');
    expect(ids(plain.body.items)).toEqual(ids(pool.slice(0, 6)));
  });

  it('explain gives, per item, the recent views by cosine × EMA weight, and the exclusions applied', async () => {
    const alpha = f.config.alpha;
    const http = await f.http('/v1/users/hot/recommendations?limit=3&strategy=ema&explain=true');
    expect(http.body.exclusions).toEqual({ seen: 1, disliked: 1 });
    for (const item of http.body.items) {
      const v = f.items.find((p) => p.id === item.id)!.vector;
      const expected = ['item-03', 'item-07', 'item-11']
        .map((id, i) => {
          const c = cosine(v, f.items.find((p) => p.id === id)!.vector);
          const weight = alpha * (1 - alpha) ** (2 - i);
          return { itemId: id, cosine: c, weight, contribution: c * weight };
        })
        .sort((a, b) => b.contribution - a.contribution);
      expect(item.because.map((b: { itemId: string }) => b.itemId)).toEqual(expected.map((e) => e.itemId));
      item.because.forEach((b: { contribution: number; weight: number }, i: number) => {
        expect(b.contribution).toBeCloseTo(expected[i]!.contribution, 6);
        expect(b.weight).toBeCloseTo(expected[i]!.weight, 12);
      });
    }
    const rpc = await f.grpcCall('Recommend', { user_id: 'hot', limit: 3, strategy: 'ema', explain: true });
    expect(rpc.exclusions).toEqual({ seen: 1, disliked: 1 });
    expect(rpc.items[0].because.map((b: { item_id: string }) => b.item_id)).toEqual(http.body.items[0].because.map((b: { itemId: string }) => b.itemId));
    const plain = await f.http('/v1/users/hot/recommendations?limit=3');
    expect(plain.body.items[0].because).toBeUndefined();
  });

  it('assigns users without a named strategy to a bucket by salted hash, the same on every call and transport', async () => {
    const seen = new Map<string, number>();
    for (let u = 0; u < 60; u++) {
      const res = await f.http(`/v1/users/ab-${u}/recommendations?limit=1`);
      expect(res.body.bucket).toBe(`${res.body.strategy}:50`);
      seen.set(res.body.strategy, (seen.get(res.body.strategy) ?? 0) + 1);
      if (u < 5) {
        const again = await f.grpcCall('Recommend', { user_id: `ab-${u}`, limit: 1 });
        expect([again.strategy, again.bucket]).toEqual([res.body.strategy, res.body.bucket]);
      }
    }
    expect([...seen.keys()].sort()).toEqual(['ema', 'hybrid']);
    expect(Math.min(...seen.values())).toBeGreaterThanOrEqual(15);
    const named = await f.http('/v1/users/ab-1/recommendations?limit=1&strategy=average');
    expect(named.body).toMatchObject({ strategy: 'average', bucket: null });
  });

  it('trend is damped by TREND_MOMENTUM, and fallbacks are counted in query_strategy_answers_total', async () => {
    const count = async () => {
      const text = (await f.http('/metrics')).body as string;
      const line = text.split('\n').find((l) => l.startsWith('query_strategy_answers_total{strategy="trend",fallback="insufficient_history"}'));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    const before = await count();
    await f.http('/v1/users/hot/recommendations?limit=5&strategy=trend');
    expect(await count()).toBe(before + 1);
    const old = new Float32Array([1, 0, 0, 0]);
    const nu = new Float32Array([0.6, 0.8, 0, 0]);
    for (const [i, vector] of [old, nu].entries()) {
      await f.history.append({ userId: 'hot', vector, takenAt: 1000 * (i + 1), eventCount: i + 1, watermarkPartition: 0, watermarkOffset: String(i), generation: GENERATION, window: i + 1 });
    }
    // normalize(new + 0.5·(new − old)) = normalize(0.4, 1.2, 0, 0)
    const damped = new Float32Array([0.4, 1.2, 0, 0]);
    const res = await f.http('/v1/users/hot/recommendations?limit=5&strategy=trend');
    expect(res.body.fallback).toBeNull();
    expect(ids(res.body.items)).toEqual(ids(bruteForce(f.items, damped, excluded, 5)));
    expect(await count()).toBe(before + 1);
  });

  it('refuses a bad diversity or explain, naming the field', async () => {
    const bad = await f.http('/v1/users/hot/recommendations?diversity=1.5');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_INPUT', field: 'diversity' });
    const explain = await f.http('/v1/users/hot/recommendations?explain=yes');
    expect(explain.body.error).toMatchObject({ field: 'explain' });
    const rpc = await f.grpcCall('Recommend', { user_id: 'hot', diversity: -0.1 }).then(
      () => null,
      (e: { code: number; metadata: { get(k: string): unknown[] } }) => [e.code, e.metadata.get('error-field')[0]],
    );
    expect(rpc).toEqual([3, 'diversity']);
  });
});
