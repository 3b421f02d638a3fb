/**
 * The recommendation options of issue 16 on top of the nearest-neighbour search: the popularity
 * blend (`strategy=hybrid`), maximal-marginal-relevance diversity, explanations, and the A/B
 * bucket that picks a user's strategy when the request names none.
 */
import type { Filter, PopularityStore, VectorPoint, VectorStore } from '../domain/ports/index.js';
import { assignBucket, type Bucket } from '../domain/buckets.js';
import { explainItem, type Contribution } from '../domain/explain.js';
import { hybridScore, mmr, type Candidate } from '../domain/rerank.js';
import { cosine } from '../domain/vector.js';
import { matchesFilter } from '../domain/filter.js';
import type { Strategy } from './validation.js';
import type { Config } from '../core/config.js';
import type { QueryMetrics } from './metrics.js';
import type { QueryDeps } from './use-cases.js';

/** Candidates gathered per wanted result before re-ranking (at least MIN_POOL). */
const POOL_FACTOR = 5;
const MIN_POOL = 50;

export interface QualityConfig {
  readonly buckets: readonly Bucket[];
  readonly bucketSalt: string;
  /** λ of `hybrid`. */
  readonly hybridLambda: number;
  /** α of the fold, for the EMA weights in explanations. */
  readonly alpha: number;
  /** MULTI_HALF_LIFE_MS: how `multi` weighs a user's interests against each other. */
  readonly multiHalfLifeMs: number;
}

export const DEFAULT_QUALITY: QualityConfig = { buckets: [], bucketSalt: '', hybridLambda: 0.1, alpha: 0.2, multiHalfLifeMs: 3_600_000 };

/** The issue-16 dependencies from the configuration: buckets, λ, γ, α, the multi-interest half-life, and the answers metric. */
export function qualityDeps(config: Config, metrics: QueryMetrics): Pick<QueryDeps, 'trendMomentum' | 'quality' | 'onAnswer'> {
  return {
    trendMomentum: config.trendMomentum,
    quality: { buckets: config.strategyBuckets, bucketSalt: config.bucketSalt, hybridLambda: config.hybridLambda, alpha: config.alpha, multiHalfLifeMs: config.multi.halfLifeMs },
    onAnswer: (strategy, fallback) => metrics.strategyAnswers.inc({ strategy, fallback: fallback ?? 'none' }),
  };
}

/** Candidates gathered before re-ranking `limit` results: max(5·limit, 50). */
export function diversityPoolSize(limit: number): number {
  return Math.max(limit * POOL_FACTOR, MIN_POOL);
}

/** The strategy that answers, and the bucket that chose it (null when the request named one, or there are no buckets). */
export function chooseStrategy(userId: string, requested: Strategy | undefined, q: QualityConfig | undefined): { strategy: Strategy; bucket: string | null } {
  if (requested !== undefined) return { strategy: requested, bucket: null };
  const bucket = q === undefined ? null : assignBucket(userId, q.bucketSalt, q.buckets);
  return bucket === null ? { strategy: 'ema', bucket: null } : { strategy: bucket.strategy as Strategy, bucket: bucket.name };
}

export interface PooledItem {
  readonly id: string;
  readonly score: number;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly because?: Contribution[];
}

export interface PooledRequest {
  readonly vector: Float32Array;
  readonly limit: number;
  readonly excludeIds: readonly string[];
  readonly filter?: Filter;
  readonly hybrid: boolean;
  readonly diversity: number;
  /** Recent views (oldest first) to explain with; none when no explanation was asked for. */
  readonly explainWith?: ReadonlyArray<{ id: string; vector: Float32Array }>;
}

/**
 * Gathers a pool (the nearest items, and under `hybrid` also the most popular ones), scores it
 * (cosine, plus λ·log(1 + decayed views) under `hybrid`), orders it by score or by MMR, and
 * explains each result when asked. Exact over the pool; items outside it are never considered.
 */
export async function pooledRecommendations(
  deps: { vectors: VectorStore; itemsCollection: string; popularity: PopularityStore; config: QualityConfig },
  req: PooledRequest,
): Promise<PooledItem[]> {
  const pool = diversityPoolSize(req.limit);
  const hits = await deps.vectors.search(deps.itemsCollection, { vector: req.vector, limit: pool, excludeIds: req.excludeIds, filter: req.filter });
  const ids = hits.map((h) => h.id);
  if (req.hybrid) for (const p of await deps.popularity.top(pool, { excludeIds: req.excludeIds })) if (!ids.includes(p.itemId)) ids.push(p.itemId);
  if (ids.length === 0) return [];
  const points = await deps.vectors.get(deps.itemsCollection, ids);
  const usable = ids.map((id) => points.get(id)).filter((p): p is VectorPoint => p !== undefined && (req.filter === undefined || matchesFilter(p.payload, req.filter)));
  const pops = req.hybrid ? await deps.popularity.scores(usable.map((p) => p.id)) : [];
  const candidates: Array<Candidate & { point: VectorPoint }> = usable.map((p, i) => {
    const cos = cosine(req.vector, p.vector);
    return { id: p.id, vector: p.vector, point: p, score: req.hybrid ? hybridScore(cos, pops[i]!, deps.config.hybridLambda) : cos };
  });
  candidates.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  const order = req.diversity > 0 ? mmr(candidates, req.limit, req.diversity) : candidates.slice(0, req.limit).map((_, i) => i);
  return order.map((i) => {
    const c = candidates[i]!;
    const item = { id: c.id, score: c.score, payload: c.point.payload };
    return req.explainWith === undefined ? item : { ...item, because: explainItem(c.vector, req.explainWith, deps.config.alpha) };
  });
}
