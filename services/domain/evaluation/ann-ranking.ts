/**
 * `evaluate --ann`: rankings from an approximate nearest-neighbour index (the query service's
 * embedded HNSW) instead of scoring every item, for catalogues where that is too slow. Only the first
 * `depth` results are known: a viewed item beyond them has no rank, and counts as a miss with a
 * reciprocal rank of 0 (so MRR becomes MRR@depth). Strategies that rank by a per-item bias
 * (popularity, hybrid), multi and diversity variants stay exact.
 */

/** The index: up to `limit` nearest catalogue positions to `query`, best first, none of `exclude`. */
export interface AnnRanker {
  nearest(query: Float32Array, limit: number, exclude: ReadonlySet<string>): number[];
}

/** Results read per ranked view with --ann unless told otherwise. */
export const DEFAULT_ANN_DEPTH = 100;

export function rankByAnn(ann: AnnRanker, req: { query: Float32Array; target: number; exclude: ReadonlySet<string>; k: number; depth: number }): { rank: number; top: Int32Array } {
  const found = ann.nearest(req.query, Math.max(req.depth, req.k), req.exclude);
  const at = found.indexOf(req.target);
  return { rank: at < 0 ? Infinity : at + 1, top: Int32Array.from(found.slice(0, req.k)) };
}
