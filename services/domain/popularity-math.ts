/**
 * The arithmetic of decayed popularity counts, kept finite whatever it is given: a count read back
 * from Redis may be `inf`, an epoch may sit in the far future after a bad timestamp, a weight may be
 * huge. Ranking by NaN is how cold start broke (issue 11); these functions never return NaN.
 */
import { InterestStreamError } from './errors.js';
import type { PopularityIncrement } from './ports/index.js';

/** Counts below this (in views) are forgotten when a store rescales (the Redis adapter, its fake). */
export const FORGET_BELOW = 1e-6;

/** A stored score as Redis prints it ("inf", "-inf", "1.5e300"), as a number (NaN → 0). */
export function parseStoredScore(text: string | undefined): number {
  if (text === undefined) return 0;
  if (text === 'inf' || text === '+inf') return Infinity;
  if (text === '-inf') return -Infinity;
  const n = Number(text);
  return Number.isNaN(n) ? 0 : n;
}

/**
 * `stored · 2^((epoch0 − now) / halfLife)` in log space, clamped to [0, Number.MAX_VALUE]: a huge
 * stored score times a tiny decay stays exact instead of becoming `Infinity · 0 = NaN`.
 */
export function decayedScore(stored: number, epoch0: number, now: number, halfLifeMs: number): number {
  if (!(stored > 0)) return 0;
  const exponent = (epoch0 - now) / halfLifeMs;
  if (Number.isNaN(exponent)) return 0;
  // Exact where the factor is a normal double; in log space beyond, where it would over- or underflow.
  if (Math.abs(exponent) < 1000) {
    const direct = Math.min(stored, Number.MAX_VALUE) * 2 ** exponent;
    if (Number.isFinite(direct) && direct > 0) return direct;
  }
  const log2 = Math.log2(Math.min(stored, Number.MAX_VALUE)) + exponent;
  if (log2 >= 1024) return Number.MAX_VALUE;
  return Math.min(2 ** log2, Number.MAX_VALUE);
}

/** A view's time for the counts: never later than `now + toleranceMs`, so one bad clock cannot move the epoch. */
export function clampViewTime(at: number, now: number, toleranceMs: number): number {
  return Math.min(at, now + toleranceMs);
}

/** Highest score first; equal scores by item id, so the order is total and stable across calls. */
export function rankByScore<T extends { readonly itemId: string; readonly score: number }>(rows: T[]): T[] {
  return rows.sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
}

/**
 * One increment per item: views of an item at times t_i with weights w_i add
 * Σ w_i·2^((t_i − T)/halfLife) as of T = max t_i, exactly what they add one by one. A batch's
 * thousands of views of a few hundred items become a few hundred writes.
 */
export function coalesce(increments: readonly PopularityIncrement[], halfLifeMs: number): PopularityIncrement[] {
  const latest = new Map<string, number>();
  for (const inc of increments) {
    checkIncrement(inc);
    latest.set(inc.itemId, Math.max(latest.get(inc.itemId) ?? -Infinity, inc.at));
  }
  const weight = new Map<string, number>();
  for (const inc of increments) {
    const w = inc.weight * 2 ** ((inc.at - latest.get(inc.itemId)!) / halfLifeMs);
    // Capped: finite weights can still sum past the largest double.
    weight.set(inc.itemId, Math.min(Number.MAX_VALUE, (weight.get(inc.itemId) ?? 0) + w));
  }
  return [...latest].map(([itemId, at]) => ({ itemId, weight: weight.get(itemId)!, at }));
}

function checkIncrement(inc: PopularityIncrement): void {
  if (typeof inc.itemId !== 'string' || inc.itemId.length === 0) {
    throw new InterestStreamError('INVALID_INPUT', `popularity: item id ${JSON.stringify(inc.itemId)} is not usable`);
  }
  if (!Number.isFinite(inc.weight) || inc.weight <= 0) {
    throw new InterestStreamError('INVALID_INPUT', `popularity: weight of "${inc.itemId}" must be a finite number above 0, got ${inc.weight}`);
  }
  if (!Number.isFinite(inc.at)) throw new InterestStreamError('INVALID_INPUT', `popularity: time of "${inc.itemId}" must be finite epoch ms`);
}
