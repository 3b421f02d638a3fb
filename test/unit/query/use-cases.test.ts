import { describe, expect, it } from 'vitest';
import { InterestStreamError } from '../../../services/domain/errors.js';
import type { ConsistencyToken } from '../../../services/core/consistency-token.js';
import { DEFAULT_QUALITY } from '../../../services/query/quality.js';
import type { RecommendQuery } from '../../../services/query/use-cases.js';
import type { InterestSnapshot } from '../../../services/domain/ports/index.js';
import { brokerDown } from '../../support/fakes/erasures.js';
import { ITEMS, NOW, TOPIC, user, vec, world, type World } from './use-cases-world.js';

const BOTH = { seen: true, disliked: true } as const;
const NONE = { seen: false, disliked: false } as const;

/** u1 looks along a: it saw a, disliked d, and viewed c then a. */
const u1 = () => user('u1', { vector: vec(1, 0, 0), seen: ['a'], disliked: ['d'], recentViews: ['c', 'a'] });

function ask(w: World, q: Partial<RecommendQuery> & { userId?: string } = {}) {
  return w.useCases.recommend({ userId: 'u1', limit: 3, exclude: BOTH, ...q });
}

const ids = (items: ReadonlyArray<{ id: string }>) => items.map((i) => i.id);

function snapshot(window: number, vector: Float32Array, userId = 'u1'): InterestSnapshot {
  return { userId, vector, takenAt: window * 1000 + 999, eventCount: window, watermarkPartition: 0, watermarkOffset: String(window * 3), generation: 'g1', window };
}

function token(offset: bigint, topic = TOPIC): ConsistencyToken {
  return { topic, offsets: new Map([[0, offset]]) };
}

async function popular(w: World, counts: Record<string, number>): Promise<void> {
  await w.popularity.record(Object.entries(counts).map(([itemId, weight]) => ({ itemId, weight, at: NOW })));
}

describe('recommend: the EMA vector', () => {
  it('answers the nearest items by cosine, leaving out what the user saw and disliked, ties by id', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    const r = await ask(w);
    expect(ids(r.items)).toEqual(['b', 'c', 'e']);
    expect(r.items.map((i) => i.score)).toEqual([expect.closeTo(0.8, 6), expect.closeTo(0.6, 6), 0]);
    expect(r.items[0]!.payload).toEqual({ genre: 'sport', price: 20 });
    expect(r).toMatchObject({ userId: 'u1', strategy: 'ema', bucket: null, fallback: null, freshness: { eventCount: 4, updatedAt: 1_700_000_000_000 } });
    expect(r.exclusions).toBeUndefined();
    expect(w.answers).toEqual([['ema', null]]);
  });

  it('keeps seen and disliked items when the request does not exclude them', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    expect(ids((await ask(w, { exclude: NONE })).items)).toEqual(['a', 'b', 'c']);
    expect(ids((await ask(w, { exclude: { seen: false, disliked: true } })).items)).toEqual(['a', 'b', 'c']);
    expect(ids((await ask(w, { exclude: { seen: true, disliked: false }, limit: 4 })).items)).toEqual(['b', 'c', 'd', 'e']);
  });

  it('applies filters: eq, in and range', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    expect(ids((await ask(w, { filter: { must: [{ key: 'genre', eq: 'news' }] } })).items)).toEqual(['c', 'e']);
    expect(ids((await ask(w, { filter: { must: [{ key: 'genre', in: ['music', 'sport'] }] } })).items)).toEqual(['b', 'f']);
    expect(ids((await ask(w, { filter: { must: [{ key: 'price', range: { gte: 20, lt: 50 } }] } })).items)).toEqual(['b', 'c']);
  });

  it('reads a user missing from Redis from the durable store, and answers the same', async () => {
    const w = await world();
    await w.durable(u1());
    expect(ids((await ask(w)).items)).toEqual(['b', 'c', 'e']);
    expect(await w.useCases.interest({ userId: 'u1', includeVector: false })).toMatchObject({ source: 'durable', eventCount: 4 });
  });

  it('answers from the durable store while Redis is unavailable, and fails on an error retrying cannot fix', async () => {
    const w = await world();
    await w.states.putMany([user('u1', { vector: vec(0, 0, 1) })]);
    await w.durable(u1());
    w.states.getMany = async () => {
      throw new InterestStreamError('STORE_UNAVAILABLE', 'CLUSTERDOWN');
    };
    expect(ids((await ask(w)).items)).toEqual(['b', 'c', 'e']);
    w.states.getMany = async () => {
      throw new InterestStreamError('INTERNAL', 'a bug');
    };
    await expect(ask(w)).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('propagates a vector store failure other than a missing collection', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    w.vectors.failNext('search', new InterestStreamError('STORE_UNAVAILABLE', 'qdrant down'));
    await expect(ask(w)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('answers nothing, not an error, before the catalogue exists', async () => {
    const w = await world({}, { catalogue: false });
    await w.states.putMany([u1()]);
    expect((await ask(w)).items).toEqual([]);
    expect((await ask(w, { strategy: 'hybrid' })).items).toEqual([]);
    await popular(w, { a: 1 });
    expect(await ask(w, { userId: 'nobody' })).toMatchObject({ fallback: 'cold_start', items: [] });
  });
});

describe('recommend: cold start', () => {
  it('gives an unknown user the most popular catalogue items, skipping ids no longer in the catalogue', async () => {
    const w = await world();
    await popular(w, { f: 5, gone: 4, d: 3, a: 2, c: 1 });
    const r = await ask(w, { userId: 'nobody' });
    expect(r.items.map((i) => [i.id, i.score])).toEqual([
      ['f', 5],
      ['d', 3],
      ['a', 2],
    ]);
    expect(r).toMatchObject({ fallback: 'cold_start', strategy: 'ema', freshness: { eventCount: 0, updatedAt: null } });
    expect(w.answers).toEqual([['ema', 'cold_start']]);
  });

  it('filters popular items, reading further down the list', async () => {
    const w = await world();
    await popular(w, { f: 5, d: 3, a: 2, b: 1 });
    expect(ids((await ask(w, { userId: 'nobody', filter: { must: [{ key: 'genre', eq: 'sport' }] } })).items)).toEqual(['d', 'b']);
  });

  it('excludes a vectorless user’s dislikes from the popular items', async () => {
    const w = await world();
    await w.states.putMany([user('u2', { vector: null, disliked: ['f'] })]);
    await popular(w, { f: 5, d: 3, a: 2, c: 1 });
    const r = await ask(w, { userId: 'u2', explain: true });
    expect(ids(r.items)).toEqual(['d', 'a', 'c']);
    expect(r).toMatchObject({ fallback: 'cold_start', exclusions: { seen: 0, disliked: 1 }, freshness: { eventCount: 4 } });
  });

  it('treats an erased user as unknown: nothing of theirs is used, not even their exclusions', async () => {
    const w = await world();
    await w.states.putMany([{ ...u1(), vector: null, seen: ['f'], erased: true }]);
    await popular(w, { f: 5, d: 3 });
    const r = await ask(w, { explain: true });
    expect(ids(r.items)).toEqual(['f', 'd']);
    expect(r).toMatchObject({ fallback: 'cold_start', exclusions: { seen: 0, disliked: 0 }, freshness: { eventCount: 0, updatedAt: null } });
  });
});

describe('recommend: other strategies', () => {
  it('trend: extrapolates from the older to the newer snapshot, damped by the momentum', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    await w.history.append(snapshot(1, vec(1, 0, 0)));
    await w.history.append(snapshot(2, vec(0, 1, 0)));
    // γ = 1: normalize(2·new − old) = (−1, 2, 0)/√5.
    const r = await ask(w, { strategy: 'trend' });
    expect(ids(r.items)).toEqual(['e', 'c', 'b']);
    expect(r.items.map((i) => i.score)).toEqual([expect.closeTo(1.2 / Math.sqrt(5), 6), expect.closeTo(1 / Math.sqrt(5), 6), expect.closeTo(0.4 / Math.sqrt(5), 6)]);
    expect(r.fallback).toBeNull();
    const damped = await world({ trendMomentum: 0 });
    await damped.states.putMany([u1()]);
    await damped.history.append(snapshot(1, vec(1, 0, 0)));
    await damped.history.append(snapshot(2, vec(0, 1, 0)));
    // γ = 0: the newer snapshot alone.
    expect(ids((await ask(damped, { strategy: 'trend', limit: 1 })).items)).toEqual(['c']);
  });

  it('trend falls back to the EMA vector with fewer than two snapshots', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    await w.history.append(snapshot(1, vec(0, 0, 1)));
    const r = await ask(w, { strategy: 'trend' });
    expect(r).toMatchObject({ strategy: 'trend', fallback: 'insufficient_history' });
    expect(ids(r.items)).toEqual(['b', 'c', 'e']);
    expect(w.answers).toEqual([['trend', 'insufficient_history']]);
  });

  it('average: the mean of the recent views still in the catalogue', async () => {
    const w = await world();
    // b + e + f = (.8, 1.2, 1.8): cosines e .937, f .780, c .624, b .590.
    await w.states.putMany([user('u1', { vector: vec(1, 0, 0), seen: ['a'], disliked: ['d'], recentViews: ['b', 'gone', 'e', 'f'] })]);
    const r = await ask(w, { strategy: 'average', limit: 4 });
    expect(ids(r.items)).toEqual(['e', 'f', 'c', 'b']);
    expect(r.items[0]!.score).toBeCloseTo(2.16 / Math.sqrt(5.32), 6);
    expect(r.fallback).toBeNull();
  });

  it('average falls back to the EMA vector when no recent view is in the catalogue', async () => {
    const w = await world();
    await w.states.putMany([user('u1', { vector: vec(1, 0, 0), recentViews: ['gone'] })]);
    const r = await ask(w, { strategy: 'average' });
    expect(r).toMatchObject({ fallback: 'insufficient_history' });
    expect(ids(r.items)).toEqual(['a', 'b', 'c']);
  });

  it('hybrid: cosine + λ·log(1 + views) over the nearest and the most popular items', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    await popular(w, { c: 10, f: 5, d: 3, a: 2, gone: 9 });
    const r = await ask(w, { strategy: 'hybrid' });
    expect(ids(r.items)).toEqual(['c', 'b', 'f']);
    expect(r.items.map((i) => i.score)).toEqual([expect.closeTo(0.6 + 0.1 * Math.log(11), 6), expect.closeTo(0.8, 6), expect.closeTo(0.1 * Math.log(6), 6)]);
    expect(r.fallback).toBeNull();
  });

  it('lets the A/B bucket choose the strategy when the request names none', async () => {
    const quality = { ...DEFAULT_QUALITY, buckets: [{ name: 'hybrid:1', strategy: 'hybrid', weight: 1 }] };
    const w = await world({ quality });
    await w.states.putMany([u1()]);
    await popular(w, { c: 10 });
    const bucketed = await ask(w);
    expect(bucketed).toMatchObject({ strategy: 'hybrid', bucket: 'hybrid:1' });
    expect(ids(bucketed.items)).toEqual(['c', 'b', 'e']);
    expect(await ask(w, { strategy: 'ema' })).toMatchObject({ strategy: 'ema', bucket: null });
  });

  it('diversity: maximal marginal relevance prefers items unlike those already picked', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    expect(ids((await ask(w, { exclude: NONE, diversity: 0 })).items)).toEqual(['a', 'b', 'c']);
    // d = .7: after a, b scores .3·.8 − .7·.8 < 0 while d, e, f score 0 (ties keep the score order); then f.
    expect(ids((await ask(w, { exclude: NONE, diversity: 0.7 })).items)).toEqual(['a', 'd', 'f']);
  });

  it('explain: each item’s closest recent views by cosine × EMA weight, and the exclusions applied', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    const r = await ask(w, { limit: 1, explain: true });
    expect(ids(r.items)).toEqual(['b']);
    // a is the newest view (weight α = .2), c the one before (α(1 − α) = .16).
    expect(r.items[0]!.because).toEqual([
      { itemId: 'a', cosine: expect.closeTo(0.8, 6), weight: 0.2, contribution: expect.closeTo(0.16, 6) },
      { itemId: 'c', cosine: expect.closeTo(0.96, 6), weight: expect.closeTo(0.16, 12), contribution: expect.closeTo(0.1536, 6) },
    ]);
    expect(r.exclusions).toEqual({ seen: 1, disliked: 1 });
  });

  it('multi: one search per interest, merged by quotas in proportion to importance', async () => {
    const w = await world();
    const interests = [
      { vector: vec(1, 0, 0), importance: 3, updatedAt: 0 },
      { vector: vec(0, 0, 1), importance: 1, updatedAt: 0 },
    ];
    await w.states.putMany([{ ...u1(), interests }]);
    // Shares ¾ and ¼ of 4: three items from the first interest, one from the second.
    const r = await ask(w, { strategy: 'multi', limit: 4 });
    expect(r.items.map((i) => [i.id, i.interest])).toEqual([
      ['b', 0],
      ['f', 1],
      ['c', 0],
      ['e', 0],
    ]);
    expect(r.fallback).toBeNull();
    const explained = await ask(w, { strategy: 'multi', limit: 2, explain: true });
    expect(explained.items.map((i) => [i.id, i.interest, i.because?.[0]?.itemId])).toEqual([
      ['b', 0, 'a'],
      ['f', 1, 'c'],
    ]);
    // MMR over the merged pool, each item scored by the interest that found it: a and f both score 1
    // (a first, as merged), and f is orthogonal to a while b is not.
    const diverse = await ask(w, { strategy: 'multi', limit: 2, exclude: NONE, diversity: 0.7 });
    expect(diverse.items.map((i) => [i.id, i.interest])).toEqual([
      ['a', 0],
      ['f', 1],
    ]);
  });

  it('multi falls back to the EMA vector for a user without interests', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    const r = await ask(w, { strategy: 'multi' });
    expect(r).toMatchObject({ fallback: 'insufficient_history' });
    expect(ids(r.items)).toEqual(['b', 'c', 'e']);
  });
});

describe('read-your-writes', () => {
  it('answers at once with caughtUp once ingest has folded past the token', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    w.progress.set(0, 6n);
    expect((await ask(w, { after: token(5n) })).freshness).toEqual({ eventCount: 4, updatedAt: 1_700_000_000_000, caughtUp: true });
  });

  it('waits for ingest to reach the token', async () => {
    const w = await world({ readYourWrites: { topic: TOPIC, waitMs: 10_000 } });
    await w.states.putMany([u1()]);
    w.progress.set(0, 5n);
    setTimeout(() => w.progress.set(0, 6n), 20);
    const started = performance.now();
    expect((await ask(w, { after: token(5n) })).freshness.caughtUp).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('answers after AFTER_WAIT_MS with caughtUp false when ingest stays behind', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    w.progress.set(0, 5n);
    const started = performance.now();
    const r = await ask(w, { after: token(5n) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(r.freshness).toEqual({ eventCount: 4, updatedAt: 1_700_000_000_000, caughtUp: false });
    expect(ids(r.items)).toEqual(['b', 'c', 'e']);
  });

  it('refuses a token of another topic, naming `after`', async () => {
    const w = await world();
    await expect(ask(w, { after: token(1n, 'other') })).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'after' } });
  });

  it('interest: NOT_FOUND says when ingest was behind the token', async () => {
    const w = await world();
    const e = await w.useCases.interest({ userId: 'late', includeVector: false, after: token(0n) }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'NOT_FOUND', details: { field: 'userId', caughtUp: false } });
    expect((e as Error).message).toContain('AFTER_WAIT_MS');
    const known = await world();
    await known.states.putMany([u1()]);
    known.progress.set(0, 1n);
    expect((await known.useCases.interest({ userId: 'u1', includeVector: false, after: token(0n) })).freshness).toEqual({ eventCount: 4, updatedAt: 1_700_000_000_000, caughtUp: true });
  });
});

describe('similar, interest, history', () => {
  it('similar: the items nearest to a catalogue item, never the item itself', async () => {
    const w = await world();
    const hits = await w.useCases.similar({ itemId: 'b', limit: 3 });
    expect(hits.map((h) => [h.id, h.score])).toEqual([
      ['c', expect.closeTo(0.96, 6)],
      ['a', expect.closeTo(0.8, 6)],
      ['d', expect.closeTo(0.6, 6)],
    ]);
    expect(ids(await w.useCases.similar({ itemId: 'b', limit: 3, filter: { must: [{ key: 'genre', eq: 'sport' }] } }))).toEqual(['d']);
    await expect(w.useCases.similar({ itemId: 'gone', limit: 3 })).rejects.toMatchObject({ code: 'NOT_FOUND', details: { field: 'itemId' } });
  });

  it('interest: a summary of the state, the vector only when asked', async () => {
    const w = await world();
    await w.states.putMany([{ ...u1(), degenerateUpdates: 1, interests: [{ vector: vec(1, 0, 0), importance: 1, updatedAt: 0 }] }]);
    expect(await w.useCases.interest({ userId: 'u1', includeVector: false })).toEqual({
      userId: 'u1',
      source: 'redis',
      hasVector: true,
      dimension: 3,
      eventCount: 4,
      updatedAt: 1_700_000_000_000,
      recentViews: ['c', 'a'],
      seenCount: 1,
      dislikedCount: 1,
      degenerateUpdates: 1,
      interests: 1,
    });
    expect((await w.useCases.interest({ userId: 'u1', includeVector: true })).vector).toEqual([1, 0, 0]);
  });

  it('interest and history: NOT_FOUND for an unknown or erased user', async () => {
    const w = await world();
    await w.states.putMany([{ ...u1(), erased: true }]);
    for (const userId of ['u1', 'nobody']) {
      await expect(w.useCases.interest({ userId, includeVector: false })).rejects.toMatchObject({ code: 'NOT_FOUND', details: { field: 'userId' } });
      await expect(w.useCases.history({ userId, limit: 5, includeVector: false })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('history: the snapshots oldest first, their drift and the current trend', async () => {
    const w = await world();
    await w.states.putMany([u1()]);
    await w.history.append(snapshot(2, vec(0, 1, 0)));
    await w.history.append(snapshot(1, vec(1, 0, 0)));
    const h = await w.useCases.history({ userId: 'u1', limit: 5, includeVector: true });
    expect(h).toEqual({
      userId: 'u1',
      generation: 'g1',
      snapshots: [
        { window: 1, takenAt: 1999, eventCount: 1, watermark: '0:3', vector: [1, 0, 0] },
        { window: 2, takenAt: 2999, eventCount: 2, watermark: '0:6', vector: [0, 1, 0] },
      ],
      drift: 1,
      trend: { windowsUsed: 2, drift: 1 },
    });
  });
});

describe('erasure', () => {
  async function erasable() {
    const w = await world();
    await w.states.putMany([u1()]);
    await w.durable(u1());
    await w.history.append(snapshot(1, vec(1, 0, 0)));
    await w.history.append(snapshot(2, vec(0, 1, 0)));
    return w;
  }

  it('publishes the ERASE, marks the user and purges Redis, the durable record and history at once', async () => {
    const w = await erasable();
    const receipt = await w.useCases.erase('u1', { keyId: 'k1', requestId: 'r1' });
    expect(receipt).toMatchObject({ userId: 'u1', eventId: receipt.erasureId, status: 'pending', purged: { redis: true, durable: true, historySnapshots: 2 } });
    expect(w.publisher.published).toEqual([{ eventId: receipt.erasureId, userId: 'u1', itemId: '', type: 'ERASE', occurredAt: receipt.requestedAt, weight: 1 }]);
    expect(w.erasures.marks.get('u1')).toEqual({ userId: 'u1', watermark: { partition: 0, offset: '100' }, at: receipt.requestedAt });
    expect(await w.useCases.erasure(receipt.erasureId)).toEqual({ erasureId: receipt.erasureId, status: 'pending', requestedAt: receipt.requestedAt, foldedAt: null, completedAt: null });
    // Nothing of the user is served any more, from either store.
    await expect(w.useCases.interest({ userId: 'u1', includeVector: false })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await w.view.users.loadDurable('u1')).toMatchObject({ erased: true, vector: null, seen: [], eventCount: 0 });
    expect(await ask(w)).toMatchObject({ fallback: 'cold_start' });
    expect(await w.history.recent('u1', 10)).toEqual([]);
  });

  it('in shred mode deletes the user’s data keys before anything is purged', async () => {
    const forgotten: Array<[string, number]> = [];
    const w: World = await world({ forgetKeys: async (id) => void forgotten.push([id, w.purge.purged.length]) });
    await w.useCases.erase('u9');
    expect(forgotten).toEqual([['u9', 0]]);
    expect(w.purge.purged).toEqual(['u9']);
  });

  it('purges every other registered generation too', async () => {
    const other = await world();
    await other.states.putMany([u1()]);
    const w = await world({}, { others: [other.view] });
    await w.states.putMany([u1()]);
    await w.useCases.erase('u1');
    expect(other.purge.purged).toEqual(['u1']);
    expect((await other.states.getMany(['u1'])).get('u1')).toMatchObject({ erased: true });
  });

  it('reports an unknown user as nothing purged', async () => {
    const w = await world();
    const receipt = await w.useCases.erase('nobody');
    expect(receipt.purged).toEqual({ redis: false, durable: false, historySnapshots: 0 });
  });

  it('when the ERASE cannot be published: fails, keeps no record with the user id, purges nothing', async () => {
    const w = await erasable();
    w.publisher.failWith = brokerDown();
    await expect(w.useCases.erase('u1')).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    expect(w.erasures.records.size).toBe(0);
    expect(w.purge.purged).toEqual([]);
    expect((await w.useCases.interest({ userId: 'u1', includeVector: false })).eventCount).toBe(4);
  });

  it('erasure status: NOT_FOUND for an id never issued', async () => {
    const w = await world();
    await expect(w.useCases.erasure('never')).rejects.toMatchObject({ code: 'NOT_FOUND', details: { field: 'erasureId' } });
  });
});

it('reads items from the generation’s own collection', async () => {
  const w = await world();
  await w.states.putMany([u1()]);
  await ask(w);
  expect(new Set(w.vectors.calls.filter((c) => c.method === 'search').map((c) => c.collection))).toEqual(new Set([ITEMS]));
});
