/**
 * The VectorStore conformance suite: every adapter runs it unchanged. Expected rankings come from
 * a brute-force cosine computed here in float64 over the same float32 vectors.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Filter, SearchHit, VectorPoint, VectorStore, VectorStoreAliases } from '../../services/domain/ports/index.js';
import { unique } from '../support/names.js';
import { rng } from '../support/random.js';
import { cosine } from '../support/math.js';

export type ContractStore = VectorStore & Partial<VectorStoreAliases>;

const GENRES = ['rock', 'jazz', 'pop', 'folk'] as const;

function unitVector(rand: () => number, dim: number): Float32Array {
  const v = Array.from({ length: dim }, () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
  const norm = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / norm);
}

type Item = VectorPoint & { payload: { genre: string; year: number; rating: number; premium: boolean; tags: string[] } };

function makeItems(count: number, dim: number, seed: number): Item[] {
  const rand = rng(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `item-${i}`,
    vector: unitVector(rand, dim),
    payload: {
      genre: GENRES[i % GENRES.length]!,
      year: 1990 + (i % 31),
      rating: Math.round(rand() * 1000) / 100,
      premium: i % 3 === 0,
      tags: i % 5 === 0 ? ['new', 'staff-pick'] : ['catalogue'],
    },
  }));
}

/** The expected answer: cosine ranking over the items that pass `keep`, best first. */
function bruteForce(items: readonly Item[], query: Float32Array, limit: number, keep: (i: Item) => boolean = () => true) {
  return items
    .filter(keep)
    .map((i) => ({ id: i.id, score: cosine(i.vector, query) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
}

function expectRanking(actual: SearchHit[], expected: Array<{ id: string; score: number }>): void {
  expect(actual.map((h) => h.id)).toEqual(expected.map((e) => e.id));
  actual.forEach((h, i) => expect(Math.abs(h.score - expected[i]!.score)).toBeLessThan(1e-5));
}

function bits(v: Float32Array): number[] {
  return Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
}

/** Registers the whole suite for one adapter; `factory` returns a store that is not started yet. */
export function describeVectorStoreContract(name: string, factory: () => ContractStore | Promise<ContractStore>): void {
  describe(`VectorStore contract: ${name}`, () => {
    let store: ContractStore;
    const DIM = 16;
    const items = makeItems(300, DIM, 42);
    const query = unitVector(rng(7), DIM);

    beforeAll(async () => {
      store = await factory();
      await store.start();
    });
    afterAll(async () => {
      await store?.close();
    });

    async function collection(dim = DIM): Promise<string> {
      const col = unique('vs');
      onTestFinished(() => store.dropCollection(col));
      await store.ensureCollection(col, dim);
      return col;
    }

    async function loaded(): Promise<string> {
      const col = await collection();
      await store.upsert(col, items);
      return col;
    }

    it('creates a collection, reports its dimension and refuses another dimension', async () => {
      const col = await collection(8);
      expect(await store.collectionDimension(col)).toBe(8);
      expect(await store.collectionDimension(unique('missing'))).toBeUndefined();
      await store.ensureCollection(col, 8);
      await expect(store.ensureCollection(col, 9)).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
    });

    it('lets concurrent ensureCollection calls for one name all succeed', async () => {
      const col = unique('vs');
      onTestFinished(() => store.dropCollection(col));
      await Promise.all(Array.from({ length: 5 }, () => store.ensureCollection(col, 4)));
      expect(await store.collectionDimension(col)).toBe(4);
    });

    it('round-trips vectors bit for bit and payloads exactly, for arbitrary string ids', async () => {
      const col = await collection(4);
      const ids = ['item-42', 'user:7', `it's "quoted"`, 'back\\slash', 'ünï/路径', '0'];
      const rand = rng(3);
      const payload = { title: 'Ünïcode ✓', n: 42, x: -0.125, ok: false, none: null, nested: { a: [1, 'two', { b: true }], e: {} } };
      const points = ids.map((id, i) => ({ id, vector: unitVector(rand, 4), payload: { ...payload, i } }));
      await store.upsert(col, points);
      const got = await store.get(col, [...ids, 'absent']);
      expect([...got.keys()].sort()).toEqual([...ids].sort());
      for (const p of points) {
        const g = got.get(p.id)!;
        expect(g.id).toBe(p.id);
        expect(g.vector).toBeInstanceOf(Float32Array);
        expect(bits(g.vector)).toEqual(bits(p.vector));
        expect(g.payload).toEqual(p.payload);
      }
    });

    it('replaces a point on upsert with the same id', async () => {
      const col = await collection(4);
      const rand = rng(5);
      await store.upsert(col, [{ id: 'a', vector: unitVector(rand, 4), payload: { v: 1, old: 'x' } }]);
      const newer = unitVector(rand, 4);
      await store.upsert(col, [{ id: 'a', vector: newer, payload: { v: 2 } }]);
      const got = (await store.get(col, ['a'])).get('a')!;
      expect(bits(got.vector)).toEqual(bits(newer));
      expect(got.payload).toEqual({ v: 2 });
      expect(await store.count(col)).toBe(1);
    });

    it('rejects a vector of the wrong dimension, naming the point', async () => {
      const col = await collection(4);
      const rand = rng(9);
      const bad = [{ id: 'ok', vector: unitVector(rand, 4), payload: {} }, { id: 'too-long', vector: unitVector(rand, 5), payload: {} }];
      await expect(store.upsert(col, bad)).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH', message: expect.stringContaining('too-long') });
      await expect(store.search(col, { vector: unitVector(rand, 3), limit: 1 })).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
    });

    describe('conditional upsert (compare-and-set on a version in the payload)', () => {
      const keys = { stream: 'wp', position: 'wo' };
      const at = (id: string, wp: number, wo: number, tag: string): VectorPoint => ({ id, vector: unitVector(rng(wo + 31 * wp), 4), payload: { wp, wo, tag } });
      const tagOf = async (col: string, id: string) => (await store.get(col, [id])).get(id)?.payload.tag;

      it('inserts a missing point, overwrites an older or equal one, and leaves a newer one untouched', async () => {
        const col = await collection(4);
        expect(await store.upsertIfNewer(col, [at('u', 0, 5, 'first')], keys)).toEqual({ stale: 0 });
        expect(await tagOf(col, 'u')).toBe('first');
        expect(await store.upsertIfNewer(col, [at('u', 0, 4, 'older')], keys)).toEqual({ stale: 1 });
        expect(await tagOf(col, 'u')).toBe('first');
        const kept = (await store.get(col, ['u'])).get('u')!;
        expect(bits(kept.vector)).toEqual(bits(at('u', 0, 5, 'first').vector));
        expect(await store.upsertIfNewer(col, [at('u', 0, 5, 'again')], keys)).toEqual({ stale: 0 });
        expect(await tagOf(col, 'u')).toBe('again');
        expect(await store.upsertIfNewer(col, [at('u', 0, 9, 'newer')], keys)).toEqual({ stale: 0 });
        expect(await tagOf(col, 'u')).toBe('newer');
        expect(await store.count(col)).toBe(1);
      });

      it('compares positions only within one stream, and replaces a point written without a version', async () => {
        const col = await collection(4);
        await store.upsertIfNewer(col, [at('u', 0, 100, 'p0')], keys);
        expect(await store.upsertIfNewer(col, [at('u', 1, 3, 'p1')], keys)).toEqual({ stale: 0 });
        expect(await tagOf(col, 'u')).toBe('p1');
        await store.upsert(col, [{ id: 'plain', vector: unitVector(rng(1), 4), payload: { tag: 'plain' } }]);
        expect(await store.upsertIfNewer(col, [at('plain', 0, 0, 'versioned')], keys)).toEqual({ stale: 0 });
        expect(await tagOf(col, 'plain')).toBe('versioned');
      });

      it('decides per point within one call and counts exactly the stale ones', async () => {
        const col = await collection(4);
        await store.upsertIfNewer(col, [at('a', 0, 10, 'a10'), at('b', 0, 10, 'b10'), at('c', 2, 10, 'c10')], keys);
        const result = await store.upsertIfNewer(col, [at('a', 0, 9, 'a9'), at('b', 0, 11, 'b11'), at('c', 2, 1, 'c1'), at('d', 0, 1, 'd1')], keys);
        expect(result).toEqual({ stale: 2 });
        const got = await store.get(col, ['a', 'b', 'c', 'd']);
        expect(Object.fromEntries([...got].map(([id, p]) => [id, p.payload.tag]))).toEqual({ a: 'a10', b: 'b11', c: 'c10', d: 'd1' });
      });

      it('refuses a point whose version keys are not numbers, naming it, and writes nothing', async () => {
        const col = await collection(4);
        const bad = { id: 'no-version', vector: unitVector(rng(2), 4), payload: { wp: 0, wo: '7' } };
        await expect(store.upsertIfNewer(col, [at('ok', 0, 1, 'ok'), bad], keys)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('no-version') });
        expect(await store.count(col)).toBe(0);
      });
    });

    it('counts and deletes points', async () => {
      const col = await loaded();
      expect(await store.count(col)).toBe(300);
      await store.delete(col, ['item-1', 'item-2', 'never-existed']);
      expect(await store.count(col)).toBe(298);
      const got = await store.get(col, ['item-1', 'item-2', 'item-3']);
      expect([...got.keys()]).toEqual(['item-3']);
    });

    it('ranks like a brute-force cosine search, best first, honouring limit', async () => {
      const col = await loaded();
      expectRanking(await store.search(col, { vector: query, limit: 25 }), bruteForce(items, query, 25));
      expect(await store.search(col, { vector: query, limit: 7 })).toHaveLength(7);
      const other = unitVector(rng(11), DIM);
      expectRanking(await store.search(col, { vector: other, limit: 10 }), bruteForce(items, other, 10));
      const self = await store.search(col, { vector: items[17]!.vector, limit: 1 });
      expect(self[0]?.id).toBe('item-17');
      expect(self[0]?.score).toBeCloseTo(1, 5);
      expect(self[0]?.payload).toEqual(items[17]!.payload);
    });

    it('honours exclusions even when they remove the 50 nearest (1,000 ids excluded)', async () => {
      const col = await loaded();
      const nearest50 = bruteForce(items, query, 50).map((h) => h.id);
      const excludeIds = [...nearest50, ...Array.from({ length: 950 }, (_, i) => `ghost-${i}`)];
      const hits = await store.search(col, { vector: query, limit: 20, excludeIds });
      expectRanking(hits, bruteForce(items, query, 20, (i) => !nearest50.includes(i.id)));
    });

    describe('filters', () => {
      let col: string;
      beforeAll(async () => {
        col = unique('vs-filters');
        await store.ensureCollection(col, DIM);
        await store.upsert(col, items);
      });
      afterAll(async () => {
        await store.dropCollection(col);
      });

      const cases: Array<[string, Filter, (i: Item) => boolean]> = [
        ['eq string', { must: [{ key: 'genre', eq: 'jazz' }] }, (i) => i.payload.genre === 'jazz'],
        ['eq integer', { must: [{ key: 'year', eq: 2001 }] }, (i) => i.payload.year === 2001],
        ['eq boolean', { must: [{ key: 'premium', eq: true }] }, (i) => i.payload.premium],
        ['eq on an array value (any element)', { must: [{ key: 'tags', eq: 'staff-pick' }] }, (i) => i.payload.tags.includes('staff-pick')],
        ['in strings', { must: [{ key: 'genre', in: ['rock', 'folk'] }] }, (i) => ['rock', 'folk'].includes(i.payload.genre)],
        ['in integers', { must: [{ key: 'year', in: [1990, 1995, 2020] }] }, (i) => [1990, 1995, 2020].includes(i.payload.year)],
        ['in mixed types', { must: [{ key: 'genre', in: ['pop', 7, true] }] }, (i) => i.payload.genre === 'pop'],
        ['range gt', { must: [{ key: 'rating', range: { gt: 9 } }] }, (i) => i.payload.rating > 9],
        ['range gte', { must: [{ key: 'year', range: { gte: 2018 } }] }, (i) => i.payload.year >= 2018],
        ['range lt', { must: [{ key: 'rating', range: { lt: 0.5 } }] }, (i) => i.payload.rating < 0.5],
        ['range lte', { must: [{ key: 'year', range: { lte: 1991 } }] }, (i) => i.payload.year <= 1991],
        ['range between', { must: [{ key: 'rating', range: { gte: 2.5, lt: 3 } }] }, (i) => i.payload.rating >= 2.5 && i.payload.rating < 3],
        [
          'combined eq, in and range',
          { must: [{ key: 'premium', eq: false }, { key: 'genre', in: ['rock', 'jazz'] }, { key: 'year', range: { gt: 2000, lte: 2010 } }] },
          (i) => !i.payload.premium && ['rock', 'jazz'].includes(i.payload.genre) && i.payload.year > 2000 && i.payload.year <= 2010,
        ],
        ['a key no point has', { must: [{ key: 'missing', eq: 'x' }] }, () => false],
      ];

      it.each(cases)('%s: exactly the best matching points', async (_label, filter, keep) => {
        const expected = bruteForce(items, query, 10, keep);
        expect(expected.length).toBe(Math.min(10, items.filter(keep).length));
        expectRanking(await store.search(col, { vector: query, limit: 10, filter }), expected);
      });

      it('combines a filter with exclusions and still returns exactly limit points', async () => {
        const filter: Filter = { must: [{ key: 'genre', eq: 'rock' }] };
        const isRock = (i: Item) => i.payload.genre === 'rock';
        const excluded = bruteForce(items, query, 40, isRock).map((h) => h.id);
        const hits = await store.search(col, { vector: query, limit: 15, filter, excludeIds: excluded });
        expectRanking(hits, bruteForce(items, query, 15, (i) => isRock(i) && !excluded.includes(i.id)));
      });

      it.each([
        ['an empty in list', { must: [{ key: 'genre', in: [] }] }, 'genre'],
        ['a range without bounds', { must: [{ key: 'year', range: {} }] }, 'year'],
        ['an empty range', { must: [{ key: 'year', range: { gt: 5, lt: 5 } }] }, 'year'],
        ['a non-numeric bound', { must: [{ key: 'rating', range: { gte: '3' } }] }, 'rating'],
        ['an object as eq value', { must: [{ key: 'genre', eq: { $ne: 'x' } }] }, 'genre'],
        ['two operators in one condition', { must: [{ key: 'year', eq: 1, in: [2] }] }, 'year'],
        ['a nested key path', { must: [{ key: 'a.b', eq: 1 }] }, 'a.b'],
        ['no must list', { should: [] }, 'must'],
      ])('rejects %s with INVALID_INPUT naming the key', async (_label, filter, key) => {
        const request = { vector: query, limit: 5, filter: filter as unknown as Filter };
        await expect(store.search(col, request)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining(key) });
      });
    });

    it('drops a collection: it is gone and dropping again is harmless', async () => {
      const col = await loaded();
      await store.dropCollection(col);
      expect(await store.collectionDimension(col)).toBeUndefined();
      await expect(store.search(col, { vector: query, limit: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await store.dropCollection(col);
    });

    it('switches an alias between collections; searches through the alias follow it', async (ctx) => {
      if (!store.setAlias || !store.resolveAlias) return ctx.skip();
      const [a, b] = [await collection(4), await collection(4)];
      const alias = unique('alias');
      const rand = rng(13);
      await store.upsert(a, [{ id: 'in-a', vector: unitVector(rand, 4), payload: {} }]);
      await store.upsert(b, [{ id: 'in-b', vector: unitVector(rand, 4), payload: {} }]);
      expect(await store.resolveAlias(alias)).toBeUndefined();
      await store.setAlias(alias, a);
      expect(await store.resolveAlias(alias)).toBe(a);
      expect((await store.search(alias, { vector: unitVector(rand, 4), limit: 5 })).map((h) => h.id)).toEqual(['in-a']);
      await store.setAlias(alias, b);
      expect(await store.resolveAlias(alias)).toBe(b);
      expect((await store.search(alias, { vector: unitVector(rand, 4), limit: 5 })).map((h) => h.id)).toEqual(['in-b']);
    });
  });
}
