/**
 * Read-time strategies: other ways to turn a user's history into a query vector. The stored EMA
 * vector (`ema`) needs no code here; `average` and `trend` are computed per request.
 */
import { cosine, meanOf, MIN_NORM, normalize, normalizedCombination, normalizedMeanOfUnits } from './vector.js';

/** One point of a user's interest history. */
export interface InterestSnapshot {
  readonly vector: Float32Array;
  /** Epoch milliseconds. */
  readonly takenAt: number;
}

/** The result of `trendStrategy`. */
export interface TrendResult {
  /** Unit-length query vector: the newer half extrapolated γ (momentum) of a step past the older half. */
  readonly vector: Float32Array;
  /** 1 − cos(old, new): 0 when interests stood still, up to 2 when they reversed. */
  readonly drift: number;
  readonly old: Float32Array;
  readonly new: Float32Array;
  /** How many snapshots (2W) went into the result. */
  readonly used: number;
}

/**
 * Normalised mean of the last N viewed item vectors; null when there are none or they cancel out.
 *
 * Each item is normalised before averaging, as the fold does, so that a catalogue vector that
 * happens to be long does not outweigh the others. All-zero items carry no direction and are skipped.
 * `norms`, when given, must be the vectors' l2Norm.
 */
export function averageStrategy(vectors: readonly Float32Array[], norms?: ArrayLike<number>): Float32Array | null {
  return normalizedMeanOfUnits(vectors, norms);
}

/** The article's trend: one whole step past the newer half (γ = 1). */
export const ARTICLE_MOMENTUM = 1;

/**
 * Trend from the newest 2W snapshots in time order, W = min(window, ⌊n/2⌋):
 * `old` = normalised mean of the older W, `new` = of the newer W,
 * `trend = normalize(new + γ·(new − old))` with γ = `momentum` (TREND_MOMENTUM). γ = 1 is the
 * article's extrapolation, γ = 0 the newer half alone; a real-data replay (issue 16) found γ = 1
 * overshooting, hence the damping.
 *
 * Input order is never trusted: snapshots are sorted by `takenAt` (ties broken by the vectors
 * themselves, so any permutation gives the same answer). The halves are split by time, not by a
 * newest-first row order: the seed article's SQL got them backwards and projected into the past
 * (seed-errata item 4). Returns null when W < 1 or a half has no direction; callers fall back to `ema`.
 */
export function trendStrategy(snapshots: readonly InterestSnapshot[], window: number, momentum: number = ARTICLE_MOMENTUM): TrendResult | null {
  const w = Math.min(Math.floor(window), Math.floor(snapshots.length / 2));
  if (!(w >= 1)) return null;
  const newest = [...snapshots].sort(bySnapshotTime).slice(-2 * w);
  const oldMean = normalizedMean(newest.slice(0, w).map((s) => s.vector));
  const newMean = normalizedMean(newest.slice(w).map((s) => s.vector));
  if (oldMean === null || newMean === null) return null;
  const vector = normalizedCombination(newMean, 1 + momentum, oldMean, -momentum);
  if (vector === null) return null;
  return { vector, drift: 1 - cosine(oldMean, newMean), old: oldMean, new: newMean, used: 2 * w };
}

function normalizedMean(vectors: readonly Float32Array[]): Float32Array | null {
  const mean = meanOf(vectors);
  return mean === null ? null : normalize(mean, MIN_NORM, mean);
}

function bySnapshotTime(a: InterestSnapshot, b: InterestSnapshot): number {
  if (a.takenAt !== b.takenAt) return a.takenAt - b.takenAt;
  const n = Math.min(a.vector.length, b.vector.length);
  for (let i = 0; i < n; i++) {
    const d = a.vector[i]! - b.vector[i]!;
    if (d !== 0) return d;
  }
  return a.vector.length - b.vector.length;
}
