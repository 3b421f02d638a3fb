/**
 * The rows of an HNSW index that a search for their own vector does not return: a graph leaves a
 * few rows no search reaches (0.1-0.8 % of the workload's items, whatever the ef; docs/design.md,
 * "Known limits"). ItemIndex keeps their positions, saved with the index, and merges them into
 * every search's hits, so no item drops out of the recommendations for good: all of them scored at
 * once in float32 (WebAssembly SIMD, a few µs for hundreds), then exactly, with the payload parsed,
 * only those whose float32 score could place them.
 */
import type { SearchHit } from '../../domain/ports/index.js';
import { matchesFilter } from '../../domain/filter.js';
import { cosine, normalize } from '../../domain/vector.js';
import { DotScorer, paddedDimension, unitScoreError } from '../../domain/evaluation/simd-dot.js';
import type { AnnQuery, IndexedRow } from './item-index.js';

/**
 * A row counts as reachable when a search for its own vector returns it among this many (exact
 * duplicates tie with it). The build worker (index-workers.ts) checks every row after a build.
 */
export const SELF_CHECK_K = 16;

export class UnreachableRows {
  private readonly set: Set<number>;
  /** The rows as unit vectors in a SIMD scorer (undefined: to be made again). */
  private scoring: { scorer: DotScorer; positions: number[]; slack: number } | undefined;

  constructor(
    private readonly rows: ReadonlyArray<IndexedRow | undefined>,
    positions: readonly number[],
  ) {
    this.set = new Set(positions.filter((p) => rows[p] !== undefined));
  }

  get size(): number {
    return this.set.size;
  }

  /** Their positions, ascending (what a saved index keeps). */
  positions(): number[] {
    return [...this.set].sort((a, b) => a - b);
  }

  add(position: number): void {
    this.set.add(position);
    this.scoring = undefined;
  }

  delete(position: number): void {
    if (this.set.delete(position)) this.scoring = undefined;
  }

  /** The row at `position` got a new vector: if it is one of these, the scorer is made again at the next search. */
  rewritten(position: number): void {
    if (this.set.has(position)) this.scoring = undefined;
  }

  /** The best `limit` of the graph's `hits` and of these rows that the query may have. */
  merge(hits: SearchHit[], q: AnnQuery): SearchHit[] {
    let out = hits.slice(0, q.limit);
    if (this.set.size === 0) return out;
    const { scorer, positions, slack } = this.scorer(q.vector.length);
    const unit = normalize(q.vector, 0);
    if (unit === null) return out;
    const approx = scorer.score(unit);
    const seen = new Set(out.map((h) => h.id));
    positions.forEach((position, j) => {
      const row = this.rows[position]!;
      if (out.length >= q.limit && approx[j]! + slack <= out[out.length - 1]!.score) return;
      if (seen.has(row.id) || q.exclude.has(row.id)) return;
      const payload = JSON.parse(row.payload) as Record<string, unknown>;
      if (q.filter !== undefined && !matchesFilter(payload, q.filter)) return;
      out = [...out, { id: row.id, score: cosine(q.vector, row.vector), payload }].sort((a, b) => b.score - a.score).slice(0, q.limit);
    });
    return out;
  }

  private scorer(d: number): { scorer: DotScorer; positions: number[]; slack: number } {
    if (this.scoring === undefined) {
      const positions = [...this.set];
      const width = paddedDimension(d);
      const units = new Float32Array(positions.length * width);
      positions.forEach((p, j) => normalize(this.rows[p]!.vector, 0, units.subarray(j * width, j * width + d)));
      // The float32 pass's own error, and usearch's float32 score's as much again.
      this.scoring = { scorer: new DotScorer(units, positions.length, d), positions, slack: 2 * unitScoreError(d) };
    }
    return this.scoring;
  }
}
