/**
 * The ranking `strategy=multi` gives in a replay: the list the query service serves for a limit of
 * K (services/query/multi-interest.ts: one ranking per interest, merged in rounds by importance
 * quotas, duplicates skipped), continued past K by the same rounds without quotas. The viewed
 * item's rank is its position in that merged order. Within one interest's ranking the viewed item
 * stands after every item scoring at least as high (ties count against it, as for every strategy).
 */
import { InterestStreamError } from '../errors.js';
import { importanceShares, interestQuotas, mergeByQuota, type Interest } from '../multi-interest.js';
import type { CatalogueIndex, Ranking } from './catalogue-index.js';

export interface MultiRankRequest {
  readonly interests: readonly Interest[];
  readonly halfLifeMs: number;
  readonly target: number;
  readonly excluded: Uint8Array;
  readonly k: number;
}

/**
 * Exact, and sorting no more of each interest's ranking than the merge can reach before the viewed
 * item is taken: with n interests and the best per-interest rank r, at most K + n·r items are merged
 * by then (K under quotas, then rounds in which the best interest takes one step towards the item
 * each), so no interest's list is read past that depth.
 */
export function rankMulti(catalogue: CatalogueIndex, req: MultiRankRequest): { rank: number; top: Int32Array } {
  const { interests, target, excluded, k } = req;
  const shares = importanceShares(interests, req.halfLifeMs);
  const order = shares.map((_, i) => i).sort((a, b) => shares[b]! - shares[a]! || a - b);
  const quotas = interestQuotas(order.map((i) => shares[i]!), k);
  const rankBy = (i: number, depth: number) => catalogue.rank({ query: interests[i]!.vector, target, excluded, k: depth });
  const first = order.map((i) => rankBy(i, 2 * k + 1));
  const depth = k + order.length * Math.min(...first.map((r) => r.rank)) + 1;
  const lists = order.map((i, j) => {
    const r = first[j]!;
    // One more than the depth: the viewed item is among the top and is taken out of it.
    const need = Math.min(r.rank, depth) + 1;
    const full = need > r.top.length && r.top.length === 2 * k + 1 ? rankBy(i, need) : r;
    return { quota: quotas[j]!, hits: withTargetInPlace(full, target) };
  });
  const merged = mergeByQuota(lists, depth);
  const at = merged.findIndex((m) => m.hit.id === target);
  if (at < 0) throw new InterestStreamError('INTERNAL', `multi ranking lost the viewed item ${target}`);
  return { rank: at + 1, top: Int32Array.from(merged.slice(0, k), (m) => m.hit.id) };
}

/** The ranking's top with the viewed item moved after every item scoring at least as high (when the top reaches that far). */
function withTargetInPlace(r: Ranking, target: number): Array<{ id: number }> {
  const others: Array<{ id: number }> = [];
  for (const i of r.top) if (i !== target) others.push({ id: i });
  if (others.length >= r.rank - 1) others.splice(r.rank - 1, 0, { id: target });
  return others;
}
