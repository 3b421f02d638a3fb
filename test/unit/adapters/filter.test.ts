import { describe, expect, it } from 'vitest';
import type { Filter } from '../../../services/domain/ports/index.js';
import {
  matchesFilter,
  preparePoints,
  validateFilter,
  validateSearchRequest,
} from '../../../services/domain/filter.js';
import { toQdrantConditions } from '../../../services/adapters/vector-store/qdrant-filter.js';
import { qdrantPointId, toQdrantFilter, translateQdrantError, uuidV5 } from '../../../services/adapters/vector-store/qdrant-vector-store.js';

const payload = { genre: 'rock', year: 2001, rating: 3.5, premium: true, tags: ['new', 'staff-pick'], code: '5', nested: { a: 1 } };

function f(...must: Filter['must']): Filter {
  return { must };
}

describe('validateFilter', () => {
  it('passes a valid filter through as a clean copy and undefined as undefined', () => {
    const filter = f({ key: 'genre', eq: 'rock' }, { key: 'year', in: [2001, 2002] }, { key: 'rating', range: { gte: 1, lt: 4 } });
    expect(validateFilter(filter)).toEqual(filter);
    expect(validateFilter(undefined)).toBeUndefined();
  });

  it.each([
    [{ must: [{ key: 'year', range: { gt: 1, gte: 2 } }] }, 'filter key "year": range has both gt and gte'],
    [{ must: [{ key: 'year', range: { lte: 1, lt: 2 } }] }, 'filter key "year": range has both lt and lte'],
    [{ must: [{ key: 'year', range: { gte: 3, lte: 2 } }] }, 'filter key "year": range is empty (no number lies within it)'],
    [{ must: [{ key: 'year', range: { between: 2 } }] }, 'filter key "year": unknown range bound "between" (use gt, gte, lt, lte)'],
    [{ must: [{ key: 'year', range: { gte: Number.NaN } }] }, 'filter key "year": range.gte must be a finite number'],
    [{ must: [{ key: 'genre' }] }, 'filter key "genre": needs exactly one of eq, in, range'],
    [{ must: [{ key: 'genre', eq: 'x', like: 'y' }] }, 'filter key "genre": needs exactly one of eq, in, range (unknown field "like")'],
    [{ must: [{ key: 'genre', in: ['a', null] }] }, 'filter key "genre": every value of in must be a string, a finite number or a boolean'],
    [{ must: [{ key: 'genre', in: Array.from({ length: 1025 }, (_, i) => i) }] }, 'filter key "genre": in lists 1025 values, at most 1024 allowed'],
    [{ must: [{ key: '', eq: 1 }] }, 'filter.must[0]: key "" must be a top-level payload key (letters, digits, _ and -)'],
    [{ must: [{ key: '__id', eq: 'item-1' }] }, 'filter key "__id": the key is reserved'],
    [{ must: ['genre = rock'] }, 'filter.must[0]: must be an object with key and one of eq, in, range'],
    [[{ key: 'genre', eq: 'rock' }], 'filter must be an object { must: [conditions] }'],
  ])('rejects %j with INVALID_INPUT: %s', (filter, message) => {
    expect(() => validateFilter(filter)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', retryable: false, message }));
  });
});

describe('matchesFilter', () => {
  it.each([
    [f({ key: 'genre', eq: 'rock' }), true],
    [f({ key: 'genre', eq: 'Rock' }), false],
    [f({ key: 'year', eq: 2001 }), true],
    [f({ key: 'code', eq: 5 }), false], // the string "5" is not the number 5
    [f({ key: 'year', eq: '2001' }), false],
    [f({ key: 'premium', eq: true }), true],
    [f({ key: 'premium', eq: 1 }), false],
    [f({ key: 'tags', eq: 'staff-pick' }), true], // any element of an array
    [f({ key: 'tags', in: ['old', 'new'] }), true],
    [f({ key: 'genre', in: ['jazz', 2001, true] }), false],
    [f({ key: 'missing', eq: 'x' }), false],
    [f({ key: 'nested', eq: 1 }), false],
    [f({ key: 'rating', range: { gt: 3.5 } }), false],
    [f({ key: 'rating', range: { gte: 3.5 } }), true],
    [f({ key: 'rating', range: { lt: 3.5 } }), false],
    [f({ key: 'rating', range: { lte: 3.5 } }), true],
    [f({ key: 'code', range: { gte: 0 } }), false], // a numeric-looking string is not a number
    [f({ key: 'genre', eq: 'rock' }, { key: 'year', range: { gt: 2001 } }), false], // all must hold
    [f({ key: 'genre', eq: 'rock' }, { key: 'year', range: { gte: 2001, lte: 2001 } }), true],
    [f(), true],
  ])('%j -> %s', (filter, expected) => {
    expect(matchesFilter(payload, filter)).toBe(expected);
  });
});

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

describe('input checks shared by both adapters', () => {
  const v = Float32Array.from([1, 0]);

  it('keeps the last point of an id given twice, in first-seen order otherwise', () => {
    const points = preparePoints([
      { id: 'a', vector: v, payload: { n: 1 } },
      { id: 'b', vector: v, payload: {} },
      { id: 'a', vector: v, payload: { n: 2 } },
    ]);
    expect(points.map((p) => [p.id, p.payload])).toEqual([['b', {}], ['a', { n: 2 }]]);
  });

  it('rejects bad points with the reason', () => {
    expect(() => preparePoints([{ id: 'a', vector: Float32Array.from([Number.NaN]), payload: {} }])).toThrow(
      expect.objectContaining({ code: 'INVALID_VECTOR', message: 'point "a": vector has a non-finite component' }),
    );
    expect(() => preparePoints([{ id: 'a', vector: v, payload: { __id: 'b' } }])).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: 'point "a": payload key "__id" is reserved' }),
    );
    expect(() => preparePoints([{ id: '', vector: v, payload: {} }])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('rejects a zero query vector and a limit out of range', () => {
    expect(() => validateSearchRequest({ vector: new Float32Array(2), limit: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_VECTOR' }));
    expect(() => validateSearchRequest({ vector: v, limit: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: 'search: limit 0 must be an integer from 1 to 10000' }),
    );
    expect(validateSearchRequest({ vector: v, limit: 3 })).toEqual({ vector: v, limit: 3, excludeIds: [], filter: undefined });
  });
});
