import { describe, it, expect } from 'vitest';
import type { ErrorCode } from '../../../services/domain/errors.js';
import {
  assertItemVector,
  cosine,
  dot,
  isFiniteVector,
  l2Norm,
  meanOf,
  normalize,
  normalizedCombination,
} from '../../../services/domain/vector.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

/** Matches an InterestStreamError with this code (and these other fields). */
const coded = (code: ErrorCode, fields: object = {}) => expect.objectContaining({ name: 'InterestStreamError', code, ...fields });

describe('dot, l2Norm, cosine', () => {
  it('computes the inner product and the Euclidean length', () => {
    expect(dot(f32(1, 2, 3), f32(4, -5, 6))).toBe(12);
    expect(l2Norm(f32(3, 4))).toBe(5);
  });

  it('gives cosine 1 for parallel, 0 for orthogonal and -1 for opposite vectors, whatever their lengths', () => {
    expect(cosine(f32(2, 0), f32(7, 0))).toBe(1);
    expect(cosine(f32(1, 0), f32(0, 3))).toBe(0);
    expect(cosine(f32(1, 1), f32(-2, -2))).toBeCloseTo(-1, 12);
    expect(cosine(f32(1, 1), f32(1, 0))).toBeCloseTo(Math.SQRT1_2, 7);
  });

  it('gives cosine 0 against a zero vector instead of NaN', () => {
    expect(cosine(f32(0, 0), f32(1, 0))).toBe(0);
  });

  it('rejects vectors of different dimension', () => {
    expect(() => dot(f32(1, 2), f32(1, 2, 3))).toThrow(coded('DIMENSION_MISMATCH'));
  });
});

describe('normalize', () => {
  it('returns a new unit-length copy and leaves the input alone', () => {
    const v = f32(3, 4);
    const n = normalize(v);
    expect(Array.from(n!)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(n).not.toBe(v);
    expect(Array.from(v)).toEqual([3, 4]);
  });

  it('returns null below the threshold and for the zero vector', () => {
    expect(normalize(f32(1e-7, 0))).toBeNull();
    expect(normalize(f32(0, 0))).toBeNull();
    expect(normalize(f32(1e-7, 0), 0)).not.toBeNull();
    expect(normalize(f32(0, 0), 0)).toBeNull();
  });
});

describe('normalizedCombination', () => {
  it('is normalize(wx·x + wy·y)', () => {
    const v = normalizedCombination(f32(1, 0), 0.5, f32(0, 1), 0.5)!;
    expect(v[0]).toBe(Math.fround(Math.SQRT1_2));
    expect(v[1]).toBe(Math.fround(Math.SQRT1_2));
  });

  it('returns null and leaves `out` untouched when the combination collapses', () => {
    const out = f32(9, 9);
    expect(normalizedCombination(f32(1, 0), 1, f32(1, 0), -1, 1e-6, out)).toBeNull();
    expect(Array.from(out)).toEqual([9, 9]);
  });

  it('can write into one of its inputs', () => {
    const y = f32(0, 2);
    const v = normalizedCombination(f32(2, 0), 1, y, 1, 1e-6, y);
    expect(v).toBe(y);
    expect(Array.from(y)).toEqual([Math.fround(Math.SQRT1_2), Math.fround(Math.SQRT1_2)]);
  });
});

describe('meanOf', () => {
  it('averages component-wise and returns null for no vectors', () => {
    expect(Array.from(meanOf([f32(1, 2), f32(3, 6)])!)).toEqual([2, 4]);
    expect(meanOf([])).toBeNull();
  });

  it('accumulates in float64: 2^24 + 1 + 1 is not rounded away as it would be in float32', () => {
    // In float32, 16777216 + 1 rounds back to 16777216, so a float32 sum would give 16777216 / 3.
    expect(meanOf([f32(16777216), f32(1), f32(1)])![0]).toBe(5592406);
  });

  it('rejects vectors of mixed dimension', () => {
    expect(() => meanOf([f32(1, 2), f32(1)])).toThrow(coded('DIMENSION_MISMATCH'));
  });
});

describe('isFiniteVector and assertItemVector', () => {
  it('tells finite vectors from ones holding NaN or Infinity', () => {
    expect(isFiniteVector(f32(1, -2, 0))).toBe(true);
    expect(isFiniteVector(f32(1, Number.NaN))).toBe(false);
    expect(isFiniteVector(f32(Number.NEGATIVE_INFINITY))).toBe(false);
  });

  it('accepts a finite, non-zero vector of the right dimension', () => {
    expect(() => assertItemVector(f32(0.1, 5, -3), 3, 'sku-1')).not.toThrow();
  });

  it('rejects a wrong dimension, naming the item and both dimensions', () => {
    expect(() => assertItemVector(f32(1, 2), 3, 'sku-42')).toThrow(
      coded('DIMENSION_MISMATCH', {
        message: 'item "sku-42" has dimension 2, expected 3',
        details: { itemId: 'sku-42', expected: 3, actual: 2 },
      }),
    );
  });

  it('rejects NaN and Infinity, naming the item and the first bad index', () => {
    expect(() => assertItemVector(f32(1, 2, Number.NaN, Number.POSITIVE_INFINITY), 4, 'sku-7')).toThrow(
      coded('INVALID_VECTOR', { message: 'item "sku-7" has a non-finite component (NaN) at index 2' }),
    );
    expect(() => assertItemVector(f32(Number.POSITIVE_INFINITY, 1), 2, 'sku-8')).toThrow(
      coded('INVALID_VECTOR', { message: 'item "sku-8" has a non-finite component (Infinity) at index 0' }),
    );
  });

  it('rejects an all-zero vector, which has no direction', () => {
    expect(() => assertItemVector(f32(0, 0, 0), 3, 'sku-0')).toThrow(coded('INVALID_VECTOR', { details: { itemId: 'sku-0' } }));
  });
});
