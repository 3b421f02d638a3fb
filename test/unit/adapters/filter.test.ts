import { describe, expect, it } from 'vitest';
import type { Filter } from '../../../services/domain/ports/index.js';
import { toQdrantConditions } from '../../../services/adapters/vector-store/qdrant-filter.js';
import { qdrantPointId, toQdrantFilter, translateQdrantError, uuidV5 } from '../../../services/adapters/vector-store/qdrant-vector-store.js';

function f(...must: Filter['must']): Filter {
  return { must };
}

describe('Qdrant filter translation', () => {
  it('maps eq to match value, except non-integer numbers, which become a one-point range', () => {
    expect(toQdrantConditions(f({ key: 'genre', eq: 'rock' }))).toEqual([{ key: 'genre', match: { value: 'rock' } }]);
    expect(toQdrantConditions(f({ key: 'year', eq: 2001 }))).toEqual([{ key: 'year', match: { value: 2001 } }]);
    expect(toQdrantConditions(f({ key: 'premium', eq: false }))).toEqual([{ key: 'premium', match: { value: false } }]);
    expect(toQdrantConditions(f({ key: 'rating', eq: 3.5 }))).toEqual([{ key: 'rating', range: { gte: 3.5, lte: 3.5 } }]);
  });

  it('maps in to match any when all values are strings or all integers, else to a should of equalities', () => {
    expect(toQdrantConditions(f({ key: 'genre', in: ['rock', 'pop'] }))).toEqual([{ key: 'genre', match: { any: ['rock', 'pop'] } }]);
    expect(toQdrantConditions(f({ key: 'year', in: [1, 2] }))).toEqual([{ key: 'year', match: { any: [1, 2] } }]);
    expect(toQdrantConditions(f({ key: 'x', in: ['a', 1.5, true] }))).toEqual([
      { should: [{ key: 'x', match: { value: 'a' } }, { key: 'x', range: { gte: 1.5, lte: 1.5 } }, { key: 'x', match: { value: true } }] },
    ]);
  });

  it('copies range bounds and puts exclusions under must_not has_id as point UUIDs', () => {
    const filter = toQdrantFilter({ filter: f({ key: 'year', range: { gt: 1, lte: 9 } }), excludeIds: ['item-42', 'user:7'] });
    expect(filter).toEqual({
      must: [{ key: 'year', range: { gt: 1, lte: 9 } }],
      must_not: [{ has_id: ['30558455-6dfb-5a40-8aa7-8bceac08aa39', '181339a1-e849-5596-954a-4e023c9b52a8'] }],
    });
    expect(toQdrantFilter({ excludeIds: [] })).toBeUndefined();
    expect(toQdrantFilter({ excludeIds: ['item-42'] })).toEqual({ must_not: [{ has_id: ['30558455-6dfb-5a40-8aa7-8bceac08aa39'] }] });
  });
});

describe('Qdrant point ids', () => {
  it('computes RFC 4122 version-5 UUIDs (the RFC/Python reference value)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('maps each string id to a fixed UUID (changing the mapping would orphan stored points)', () => {
    expect(qdrantPointId('item-42')).toBe('30558455-6dfb-5a40-8aa7-8bceac08aa39');
    expect(qdrantPointId('user:7')).toBe('181339a1-e849-5596-954a-4e023c9b52a8');
    expect(qdrantPointId('ünï/路径')).toBe('3d1bf04e-463c-5ae0-9fb5-ef3cae9ec87f');
    const many = Array.from({ length: 5000 }, (_, i) => qdrantPointId(`item-${i}`));
    expect(new Set(many).size).toBe(5000);
    expect(many.every((u) => /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u))).toBe(true);
  });
});

describe('translateQdrantError', () => {
  it.each([
    [Object.assign(new Error('x'), { status: 404, data: { status: { error: 'Not found: Collection `c` does not exist!' } } }), 'NOT_FOUND', false],
    [Object.assign(new Error('x'), { status: 400, data: { status: { error: 'Wrong input: Vector dimension error: expected dim: 4, got 5' } } }), 'DIMENSION_MISMATCH', false],
    [Object.assign(new Error('x'), { status: 400, data: { status: { error: 'Wrong input: bad filter' } } }), 'INVALID_INPUT', false],
    [Object.assign(new Error('x'), { status: 503 }), 'STORE_UNAVAILABLE', true],
    [new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }), 'STORE_UNAVAILABLE', true],
  ])('%s -> %s', (error, code, retryable) => {
    const translated = translateQdrantError(error, 'op');
    expect(translated).toMatchObject({ code, retryable });
    expect(translated.cause).toBe(error);
  });
});
