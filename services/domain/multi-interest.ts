/**
 * Multi-interest (`strategy=multi`), after PinnerSage (Pal et al., KDD 2020): a user is up to k
 * interest vectors instead of one, each with an importance, kept up to date one event at a time by
 * the fold (so they are folded effectively-once, in the same record as the main vector).
 *
 * A view joins its nearest interest when their cosine is at least the threshold (an EMA step of that
 * interest towards the item, α·weight, renormalised); otherwise it opens a new interest, or, when k
 * are held, replaces the least important one. PinnerSage's medoids are actual items re-clustered in
 * batch; here the interests are running means, which an online fold can keep exactly.
 *
 * Importance: the views that joined an interest (each counting its event weight), decayed with a
 * half-life in event time. It is stored as a value at a time (`importance` at `updatedAt`), and
 * interests are compared through log₂(importance) + updatedAt / halfLife, which orders them as their
 * importances at any common time would, without the underflow of decaying both to "now".
 */
import { dot, MIN_NORM, normalizedCombination } from './vector.js';

export interface Interest {
  /** Unit length. */
  readonly vector: Float32Array;
  /** Weighted views that joined this interest, decayed to `updatedAt`. > 0. */
  readonly importance: number;
  /** Event time (epoch ms) `importance` is stated at: the latest view that joined. */
  readonly updatedAt: number;
}

/** MULTI_INTERESTS, MULTI_THRESHOLD, MULTI_HALF_LIFE_MS (read in services/core/config/fold.ts). */
export interface MultiInterestParams {
  /** k: at most this many interests per user; 0 keeps none. */
  readonly maxInterests: number;
  /** A view joins its nearest interest when their cosine is at least this (0..1). */
  readonly threshold: number;
  /** Half-life of an interest's importance, in event time. */
  readonly halfLifeMs: number;
}

/** What a view or dislike brings: the item as a unit vector, its event weight and time. */
export interface InterestEvent {
  readonly unitItem: Float32Array;
  readonly weight: number;
  readonly at: number;
}

/** The item as a unit vector (`itemNorm` is its non-zero norm), with the event's weight and time. */
export function interestEvent(item: Float32Array, itemNorm: number, weight: number, at: number): InterestEvent {
  const unitItem = new Float32Array(item.length);
  for (let i = 0; i < item.length; i++) unitItem[i] = item[i]! / itemNorm;
  return { unitItem, weight, at };
}

/** log₂ of the interest's importance at time 0, in half-lives: larger is more important, at any time. */
export function importanceKey(interest: Interest, halfLifeMs: number): number {
  return Math.log2(interest.importance) + interest.updatedAt / halfLifeMs;
}

/**
 * The interests' importances as shares that sum to 1, in the interests' order: what each would weigh
 * at any common time (the ratios do not depend on which). Empty for no interests.
 */
export function importanceShares(interests: readonly Interest[], halfLifeMs: number): number[] {
  if (interests.length === 0) return [];
  const keys = interests.map((i) => importanceKey(i, halfLifeMs));
  const top = Math.max(...keys);
  const raw = keys.map((k) => 2 ** (k - top));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((r) => r / sum);
}

/** The importance after a view of `weight` at `at`: exact whatever the order the views arrive in. */
function addView(interest: Interest, weight: number, at: number, halfLifeMs: number): { importance: number; updatedAt: number } {
  if (at >= interest.updatedAt) {
    return { importance: interest.importance * 2 ** (-(at - interest.updatedAt) / halfLifeMs) + weight, updatedAt: at };
  }
  // A late event: its weight, decayed to the interest's time, which does not move back.
  return { importance: interest.importance + weight * 2 ** (-(interest.updatedAt - at) / halfLifeMs), updatedAt: interest.updatedAt };
}

/** Index of the interest nearest to a unit vector (ties: the first), and its cosine; -1 for none. */
export function nearestInterest(interests: readonly Interest[], unit: Float32Array): { index: number; cosine: number } {
  let index = -1;
  let best = -Infinity;
  interests.forEach((interest, i) => {
    const c = dot(interest.vector, unit);
    if (c > best) {
      best = c;
      index = i;
    }
  });
  return { index, cosine: best };
}

/** Index of the least important interest (ties: the first). */
function leastImportant(interests: readonly Interest[], halfLifeMs: number): number {
  let index = 0;
  interests.forEach((interest, i) => {
    if (importanceKey(interest, halfLifeMs) < importanceKey(interests[index]!, halfLifeMs)) index = i;
  });
  return index;
}

/** Drops the least important interests beyond k (after MULTI_INTERESTS was lowered). */
function capped(interests: Interest[], params: MultiInterestParams): Interest[] {
  while (interests.length > params.maxInterests) interests.splice(leastImportant(interests, params.halfLifeMs), 1);
  return interests;
}

/**
 * The interests after a view; never mutates its inputs. `alpha` is the fold's α: the joined interest
 * becomes normalize((1 − a)·interest + a·item) with a = min(1, α·weight), and keeps its direction
 * when that would collapse to ~0 (it cannot when the threshold is above −1 and a < 1).
 */
export function viewInterests(interests: readonly Interest[], view: InterestEvent, alpha: number, params: MultiInterestParams): Interest[] {
  if (params.maxInterests === 0) return [];
  const next = [...interests];
  const { index, cosine } = nearestInterest(interests, view.unitItem);
  if (index >= 0 && cosine >= params.threshold) {
    const joined = interests[index]!;
    const a = Math.min(1, Math.max(0, alpha * view.weight));
    const vector = normalizedCombination(view.unitItem, a, joined.vector, 1 - a, MIN_NORM) ?? joined.vector;
    next[index] = { vector, ...addView(joined, view.weight, view.at, params.halfLifeMs) };
    return capped(next, params);
  }
  const opened: Interest = { vector: Float32Array.from(view.unitItem), importance: view.weight, updatedAt: view.at };
  if (next.length < params.maxInterests) next.push(opened);
  else next[leastImportant(next, params.halfLifeMs)] = opened;
  return capped(next, params);
}

/**
 * The interests after a dislike: the nearest interest, when the item is within the threshold of it
 * (the dislike is about that taste), is pushed away like the main vector, normalize(interest − b·item)
 * with b = β·weight, keeping its direction when that would collapse. Importance is unchanged: a
 * dislike says what the user does not want in that taste, not that the taste matters less.
 */
export function dislikeInterests(interests: readonly Interest[], dislike: InterestEvent, beta: number, params: MultiInterestParams): readonly Interest[] {
  const { index, cosine } = nearestInterest(interests, dislike.unitItem);
  if (index < 0 || cosine < params.threshold) return interests;
  const pushed = interests[index]!;
  const vector = normalizedCombination(pushed.vector, 1, dislike.unitItem, -beta * dislike.weight, MIN_NORM);
  if (vector === null) return interests;
  const next = [...interests];
  next[index] = { ...pushed, vector };
  return next;
}

/**
 * How many of `limit` results each interest supplies: proportional to its importance share, by the
 * largest-remainder method (ties: the more important, then the first), so the quotas sum to `limit`.
 */
export function interestQuotas(shares: readonly number[], limit: number): number[] {
  const exact = shares.map((s) => s * limit);
  const quotas = exact.map(Math.floor);
  let left = limit - quotas.reduce((a, b) => a + b, 0);
  const order = shares.map((_, i) => i).sort((a, b) => exact[b]! - quotas[b]! - (exact[a]! - quotas[a]!) || shares[b]! - shares[a]! || a - b);
  for (const i of order) {
    if (left <= 0) break;
    quotas[i]! += 1;
    left -= 1;
  }
  return quotas;
}

/** One interest's nearest items, best first, and how many of the answer it is owed. */
export interface InterestHits<T extends { readonly id: string | number }> {
  readonly hits: readonly T[];
  readonly quota: number;
}

/**
 * Merges per-interest result lists into one of up to `limit` distinct items: in rounds, each interest
 * (in the given order: most important first) adds its next item not taken yet while it is under its
 * quota; when quotas are met or lists run dry, the rounds go on without quotas to fill the answer.
 * Each result says which interest (index into `lists`) supplied it.
 */
export function mergeByQuota<T extends { readonly id: string | number }>(lists: ReadonlyArray<InterestHits<T>>, limit: number): Array<{ hit: T; interest: number }> {
  const out: Array<{ hit: T; interest: number }> = [];
  const taken = new Set<string | number>();
  const next = lists.map(() => 0);
  const given = lists.map(() => 0);
  const take = (i: number): boolean => {
    const hits = lists[i]!.hits;
    while (next[i]! < hits.length && taken.has(hits[next[i]!]!.id)) next[i]! += 1;
    const hit = hits[next[i]!];
    if (hit === undefined) return false;
    taken.add(hit.id);
    out.push({ hit, interest: i });
    next[i]! += 1;
    given[i]! += 1;
    return true;
  };
  for (const withQuota of [true, false]) {
    let progress = true;
    while (progress && out.length < limit) {
      progress = false;
      for (let i = 0; i < lists.length && out.length < limit; i++) {
        if (withQuota && given[i]! >= lists[i]!.quota) continue;
        if (take(i)) progress = true;
      }
    }
  }
  return out;
}
