/**
 * Re-ranking a candidate list: the popularity blend of `strategy=hybrid` and maximal marginal
 * relevance for `diversity`. Pure functions over candidates the query service has gathered.
 */
import { cosine } from './vector.js';

export interface Candidate {
  readonly id: string;
  readonly vector: Float32Array;
  /** Relevance: cosine with the query vector (plus the popularity term under `hybrid`). */
  readonly score: number;
}

/** The hybrid score: cosine + λ·log(1 + decayed view count). */
export function hybridScore(cos: number, popularity: number, lambda: number): number {
  return cos + lambda * Math.log1p(Math.max(0, popularity));
}

/**
 * Maximal marginal relevance (Carbonell & Goldstein, 1998): picks `k` candidates one at a time,
 * each maximising (1 − d)·score − d·(highest cosine with an item already picked). d = 0 keeps the
 * order by score; d = 1 only avoids similarity. Ties keep the candidates' order. Returns indices.
 */
export function mmr(candidates: readonly Candidate[], k: number, diversity: number): number[] {
  const n = candidates.length;
  const picked: number[] = [];
  const taken = new Uint8Array(n);
  const maxSim = new Float64Array(n).fill(-Infinity);
  while (picked.length < Math.min(k, n)) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < n; i++) {
      if (taken[i] === 1) continue;
      const penalty = picked.length === 0 ? 0 : maxSim[i]!;
      const value = (1 - diversity) * candidates[i]!.score - diversity * penalty;
      if (value > bestValue) {
        best = i;
        bestValue = value;
      }
    }
    taken[best] = 1;
    picked.push(best);
    for (let i = 0; i < n; i++) if (taken[i] === 0) maxSim[i] = Math.max(maxSim[i]!, cosine(candidates[i]!.vector, candidates[best]!.vector));
  }
  return picked;
}
