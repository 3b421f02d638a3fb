/**
 * The ranking a user sees with `diversity=d`: maximal marginal relevance picks K items from the
 * pool the query service would gather (the max(5K, 50) best by score), and the rest of the
 * catalogue follows in score order. The viewed item's rank in that order is what is scored.
 */
import { mmr } from '../rerank.js';
import type { CatalogueIndex, Ranking } from './catalogue-index.js';

/** Pool size the query service re-ranks for a list of `k`. */
export function diversityPool(k: number): number {
  return Math.max(5 * k, 50);
}

/** `base` must be a ranking with k = diversityPool(k); returns the re-ranked top K and the target's rank. */
export function diversify(catalogue: CatalogueIndex, base: Ranking, target: number, k: number, diversity: number): { rank: number; top: Int32Array } {
  const candidates = Array.from(base.top, (i, j) => ({ id: String(i), vector: catalogue.vectorOf(i), score: base.topScores[j]! }));
  const top = Int32Array.from(mmr(candidates, k, diversity), (j) => base.top[j]!);
  const at = top.indexOf(target);
  if (at >= 0) return { rank: at + 1, top };
  // After the K picked: everything else in score order. Picked items that scored at least as high
  // as the target no longer stand before it among the rest.
  let pickedAbove = 0;
  for (const i of top) {
    const j = base.top.indexOf(i);
    if (base.topScores[j]! >= base.targetScore) pickedAbove++;
  }
  return { rank: k + base.rank - pickedAbove, top };
}
