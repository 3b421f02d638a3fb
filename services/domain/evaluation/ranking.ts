/** What a ranking of the catalogue (CatalogueIndex.rank) is asked and answers. */

/** Where the target fell and what the top of the list was. */
export interface Ranking {
  /** 1 + the number of eligible items scoring at least as high as the target (ties count against it). */
  readonly rank: number;
  /** The K best eligible items, best first (ties by catalogue order), with their exact scores. */
  readonly top: Int32Array;
  readonly topScores: readonly number[];
  /** The target's exact score. */
  readonly targetScore: number;
}

/** Per-request inputs of a ranking. */
export interface RankRequest {
  /** The query direction; null ranks by `bias` alone (e.g. popularity). */
  readonly query: Float32Array | null;
  /** Index of the item whose rank is wanted. */
  readonly target: number;
  /** 1 for items that may not be recommended (seen, disliked); never counted, never in `top`. */
  readonly excluded: Uint8Array;
  readonly k: number;
  /** Added to every item's cosine (float64), or the whole score when `query` is null. */
  readonly bias?: Float64Array | ApproximateBias;
}

/**
 * A per-item bias too costly to compute exactly for every item of every ranking: the float32 pass
 * adds `approx`, its error bound widened by `below` and `above`, and only the items that decide the
 * ranking get `exact`, so the ranking is the one the exact bias gives.
 */
export interface ApproximateBias {
  /** Per item, with approx[i] − below ≤ exact(i) ≤ approx[i] + above. */
  readonly approx: Float64Array;
  readonly below: number;
  readonly above: number;
  exact(item: number): number;
}

/** Where `CatalogueIndex.candidatesAbove` copies: item positions and their float32 pass, grown on demand (what it holds is kept). */
export interface CandidateBuffer {
  reserve(size: number): void;
  readonly ids: Int32Array;
  readonly approx: Float64Array;
}
