/**
 * `strategy=multi`: one nearest-neighbour search per interest of the user, merged by quotas in
 * proportion to the interests' importance (services/domain/multi-interest.ts), deduplicated, with the
 * same exclusions and filter as every strategy. `diversity` re-ranks the merged pool with MMR and
 * `explain` explains each item like the other strategies, and says which interest found it.
 */
import type { Filter, SearchHit, VectorStore } from '../domain/ports/index.js';
import { explainItem } from '../domain/explain.js';
import { importanceShares, interestQuotas, mergeByQuota, type Interest } from '../domain/multi-interest.js';
import { mmr } from '../domain/rerank.js';
import { diversityPoolSize, type PooledItem, type QualityConfig } from './quality.js';

export interface MultiRequest {
  readonly interests: readonly Interest[];
  readonly limit: number;
  readonly excludeIds: readonly string[];
  readonly filter?: Filter;
  readonly diversity: number;
  /** Recent views (oldest first) to explain with; none when no explanation was asked for. */
  readonly explainWith?: ReadonlyArray<{ id: string; vector: Float32Array }>;
}

/** An item of a multi-interest answer: `interest` is the rank (0 = most important) of the interest that found it. */
export type MultiItem = PooledItem & { readonly interest: number };

export async function multiInterestRecommendations(
  deps: { vectors: VectorStore; itemsCollection: string; config: QualityConfig },
  req: MultiRequest,
): Promise<MultiItem[]> {
  const shares = importanceShares(req.interests, deps.config.multiHalfLifeMs);
  const order = shares.map((_, i) => i).sort((a, b) => shares[b]! - shares[a]! || a - b);
  const wanted = req.diversity > 0 ? diversityPoolSize(req.limit) : req.limit;
  const quotas = interestQuotas(order.map((i) => shares[i]!), wanted);
  // Every interest searches for the whole list, so that duplicates and a short list can be made up.
  const lists = await Promise.all(
    order.map(async (i, rank) => ({
      quota: quotas[rank]!,
      hits: await deps.vectors.search(deps.itemsCollection, { vector: req.interests[i]!.vector, limit: wanted, excludeIds: req.excludeIds, filter: req.filter }),
    })),
  );
  const merged = mergeByQuota<SearchHit>(lists, wanted);
  if (req.diversity === 0 && req.explainWith === undefined) return merged.map(({ hit, interest }) => ({ id: hit.id, score: hit.score, payload: hit.payload, interest }));
  const points = await deps.vectors.get(deps.itemsCollection, merged.map((m) => m.hit.id));
  const candidates = merged.flatMap(({ hit, interest }) => {
    const p = points.get(hit.id);
    return p === undefined ? [] : [{ id: hit.id, score: hit.score, vector: p.vector, payload: hit.payload, interest }];
  });
  const picked = req.diversity > 0 ? mmr(candidates, req.limit, req.diversity) : candidates.slice(0, req.limit).map((_, i) => i);
  return picked.map((i) => {
    const c = candidates[i]!;
    const item = { id: c.id, score: c.score, payload: c.payload, interest: c.interest };
    return req.explainWith === undefined ? item : { ...item, because: explainItem(c.vector, req.explainWith, deps.config.alpha) };
  });
}
