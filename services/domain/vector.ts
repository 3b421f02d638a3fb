/**
 * Small vector functions over Float32Array. Sums run in float64 (plain JS numbers) so that rounding
 * does not build up over d components; results are stored as float32, the storage format everywhere.
 */
import { InterestStreamError } from './errors.js';

/** Below this norm a vector has no usable direction: normalising it would amplify rounding noise. */
export const MIN_NORM = 1e-6;

/** Inner product, accumulated in float64. Throws DIMENSION_MISMATCH when the lengths differ. */
export function dot(a: Float32Array, b: Float32Array): number {
  assertSameLength(a, b);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Euclidean length, accumulated in float64. */
export function l2Norm(v: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

/**
 * A new unit-length copy of `v` (or `out` overwritten), or null when its norm is below `minNorm` (or
 * zero, or not finite). Pass `minNorm = 0` to normalise anything that is not exactly zero.
 */
export function normalize(v: Float32Array, minNorm: number = MIN_NORM, out?: Float32Array): Float32Array | null {
  const norm = l2Norm(v);
  if (!usableNorm(norm, minNorm)) return null;
  // `out` (which may be `v` itself) receives the result instead of a new array.
  const result = out ?? new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) result[i] = v[i]! / norm;
  return result;
}

/**
 * `normalize(wx·x + wy·y)` without materialising the sum: the fold's EMA and dislike updates are
 * both this shape, and it runs once per event. The combination is computed twice in float64 (once
 * for the norm, once for the output), which costs less than allocating a temporary vector.
 * Returns null when the combination's norm is below `minNorm` (and then leaves `out` untouched).
 * `out` (which may be `x` or `y` itself) receives the result instead of a new array.
 */
export function normalizedCombination(
  x: Float32Array,
  wx: number,
  y: Float32Array,
  wy: number,
  minNorm: number = MIN_NORM,
  out: Float32Array = new Float32Array(x.length),
): Float32Array | null {
  assertSameLength(x, y);
  assertSameLength(x, out);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const c = wx * x[i]! + wy * y[i]!;
    sum += c * c;
  }
  const norm = Math.sqrt(sum);
  if (!usableNorm(norm, minNorm)) return null;
  for (let i = 0; i < x.length; i++) out[i] = (wx * x[i]! + wy * y[i]!) / norm;
  return out;
}

/** Cosine similarity in [-1, 1]; 0 when either vector is zero (it has no direction to compare). */
export function cosine(a: Float32Array, b: Float32Array): number {
  const denominator = l2Norm(a) * l2Norm(b);
  if (denominator === 0) return 0;
  return Math.max(-1, Math.min(1, dot(a, b) / denominator));
}

/**
 * Component-wise mean (float64 accumulation, vectors in order), or null for no vectors. Throws
 * DIMENSION_MISMATCH on mixed lengths.
 */
export function meanOf(vectors: readonly Float32Array[]): Float32Array | null {
  return componentMean(vectors);
}

/**
 * `normalize(meanOf(units))`, where `units` are the vectors each normalised with `normalize(v, 0)`
 * (those that cannot be are left out): the same float32 values, rounded where those arrays would
 * round them, in one array instead of one per vector and two more. `knownNorms`, when given, are
 * the vectors' l2Norm (a caller that averages the same vectors again and again keeps them).
 */
export function normalizedMeanOfUnits(vectors: readonly Float32Array[], knownNorms?: ArrayLike<number>): Float32Array | null {
  const used: Float32Array[] = [];
  const norms: number[] = [];
  for (let k = 0; k < vectors.length; k++) {
    const v = vectors[k]!;
    const norm = knownNorms === undefined ? l2Norm(v) : knownNorms[k]!;
    if (!usableNorm(norm, 0)) continue;
    used.push(v);
    norms.push(norm);
  }
  const mean = componentMean(used, norms);
  return mean === null ? null : normalize(mean, MIN_NORM, mean);
}

/**
 * The mean of `vectors` (each divided by its entry of `norms` and rounded to float32 first, when
 * given). Each component is summed on its own, so no float64 buffer is allocated beside the result
 * (a typed array over 64 bytes is an off-heap allocation, about ten times the cost of a small one).
 */
function componentMean(vectors: readonly Float32Array[], norms?: readonly number[]): Float32Array | null {
  const first = vectors[0];
  if (first === undefined) return null;
  for (const v of vectors) assertSameLength(first, v);
  const out = new Float32Array(first.length);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let k = 0; k < vectors.length; k++) sum += norms === undefined ? vectors[k]![i]! : Math.fround(vectors[k]![i]! / norms[k]!);
    out[i] = sum / vectors.length;
  }
  return out;
}

/** True when every component is a finite number. */
export function isFiniteVector(v: Float32Array): boolean {
  return firstNonFiniteIndex(v) === -1;
}

/**
 * Rejects an item vector the fold cannot use: wrong dimension (DIMENSION_MISMATCH), a NaN or
 * infinite component, or all zeros (INVALID_VECTOR; a zero vector has no direction to move towards
 * and makes cosine search undefined). Messages name the item so the DLQ entry is actionable.
 */
export function assertItemVector(v: Float32Array, dimension: number, itemId: string): void {
  if (v.length !== dimension) {
    throw new InterestStreamError(
      'DIMENSION_MISMATCH',
      `item "${itemId}" has dimension ${v.length}, expected ${dimension}`,
      { details: { itemId, expected: dimension, actual: v.length } },
    );
  }
  const bad = firstNonFiniteIndex(v);
  if (bad !== -1) {
    throw new InterestStreamError(
      'INVALID_VECTOR',
      `item "${itemId}" has a non-finite component (${v[bad]}) at index ${bad}`,
      { details: { itemId, index: bad } },
    );
  }
  if (!v.some((x) => x !== 0)) {
    throw new InterestStreamError('INVALID_VECTOR', `item "${itemId}" has an all-zero vector`, {
      details: { itemId },
    });
  }
}

function firstNonFiniteIndex(v: Float32Array): number {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) return i;
  }
  return -1;
}

function usableNorm(norm: number, minNorm: number): boolean {
  return Number.isFinite(norm) && norm > 0 && norm >= minNorm;
}

function assertSameLength(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) {
    throw new InterestStreamError(
      'DIMENSION_MISMATCH',
      `vectors of different dimension: ${a.length} and ${b.length}`,
      { details: { expected: a.length, actual: b.length } },
    );
  }
}
