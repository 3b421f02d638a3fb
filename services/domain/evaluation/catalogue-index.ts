/**
 * The whole catalogue in flat arrays, and exact ranking against it: where one item falls among all
 * the others for a query, and the top K. Scores are cosine similarity (plus an optional per-item
 * bias, e.g. a popularity term), exactly as a brute-force float64 computation gives them:
 * a float32 SIMD pass sorts out the items that are clearly above or below, and every item whose
 * float32 score is within the pass's error bound of the line is scored again in float64.
 */
import { InterestStreamError } from '../errors.js';
import { assertItemVector, l2Norm } from '../vector.js';
import { DotScorer, paddedDimension, unitScoreError } from './simd-dot.js';
import { KthLargest, SortedTop } from './top-k.js';
import { BATCH, ExactDots } from './exact-dots.js';
import { ExactCosines } from './exact-cosines.js';
import type { ApproximateBias, CandidateBuffer, Ranking, RankRequest } from './ranking.js';

export interface CatalogueEntry {
  readonly id: string;
  readonly vector: Float32Array;
}

export type { ApproximateBias, CandidateBuffer, Ranking, RankRequest } from './ranking.js';

export class CatalogueIndex {
  readonly ids: readonly string[];
  readonly size: number;
  readonly dimension: number;
  private readonly positions = new Map<string, number>();
  /** The vectors as given, row-major, for exact scores. */
  private readonly raw: Float32Array;
  private readonly invNorms: Float64Array;
  private readonly scorer: DotScorer;
  /** Bound on |float32 pass − exact cosine| for a unit query (unitScoreError). */
  private readonly slack: number;
  private readonly unitQuery: Float32Array;
  /** The current ranking's query, its 1/‖q‖ and bias, exact or approximate (see setQuery). */
  private query: Float32Array | null = null;
  private invQ = 0;
  private bias: Float64Array | undefined;
  private approximateBias: ApproximateBias | undefined;
  /** The last pass's pooled items (the scorer's `selected[0 … pooled−1]`) and its K-th best float32 score. */
  private pooled = 0;
  private line = -Infinity;
  private readonly sorted = new SortedTop();
  /** The K best block maxima, then the K best pooled float32 scores (see pool). */
  private readonly best = new KthLargest();
  /** The exact sums (item · query, item · item), a batch of pairs at a time; its rows are `raw`. */
  private readonly dots: ExactDots;
  /** Exact cosines between items, and of an item with a query (intra-list similarity, multi's deep merges). */
  readonly cosines: ExactCosines;
  /** True while the scorer's offsets hold a bias rather than zeros. */
  private biased = false;
  /** The last ranking's target, its exact score and error band (for `candidatesAbove`). */
  private readonly last = { target: -1, score: 0, up: 0, down: 0 };

  constructor(items: readonly CatalogueEntry[]) {
    const first = items[0];
    if (first === undefined) throw new InterestStreamError('INVALID_INPUT', 'the catalogue is empty');
    this.size = items.length;
    this.dimension = first.vector.length;
    this.ids = items.map((i) => i.id);
    this.dots = new ExactDots(this.size, this.dimension);
    this.raw = this.dots.rows;
    this.invNorms = new Float64Array(this.size);
    const width = paddedDimension(this.dimension);
    const units = new Float32Array(this.size * width);
    items.forEach((item, i) => {
      if (this.positions.has(item.id)) throw new InterestStreamError('INVALID_INPUT', `item "${item.id}" appears twice in the catalogue`);
      assertItemVector(item.vector, this.dimension, item.id);
      this.positions.set(item.id, i);
      this.raw.set(item.vector, i * this.dimension);
      const inv = 1 / l2Norm(item.vector);
      this.invNorms[i] = inv;
      for (let j = 0; j < this.dimension; j++) units[i * width + j] = item.vector[j]! * inv;
    });
    this.scorer = new DotScorer(units, this.size, this.dimension);
    this.cosines = new ExactCosines(this.dots, this.invNorms, this.dimension);
    this.slack = unitScoreError(this.dimension);
    this.unitQuery = new Float32Array(this.dimension);
  }

  /** The item's position in the catalogue, or undefined when it is not in it. */
  indexOf(id: string): number | undefined {
    return this.positions.get(id);
  }

  /** The item's vector as given (a view; never write to it). */
  vectorOf(index: number): Float32Array {
    return this.raw.subarray(index * this.dimension, (index + 1) * this.dimension);
  }

  /**
   * Ranks the target among all eligible items, and finds the top K. The WebAssembly kernels score
   * every item in float32 and, in one more pass with no branch per item, count the items clearly
   * above the target and note each block's best score (simd-sieve.ts); the few items within the
   * slack of the target are scored exactly. The K-th best block maximum is a floor under the K-th
   * best item (K blocks each hold an item at least that high), so the top K is pooled from the few
   * blocks reaching it. Nothing is sorted and nothing is allocated per item.
   */
  rank(req: RankRequest): Ranking {
    this.setQuery(req);
    // An item's exact score is within [a − down, a + up] of its pass a (float32 cosine + bias as given).
    const slack = req.query === null ? 0 : this.slack;
    const up = slack + (this.approximateBias?.above ?? 0);
    const down = slack + (this.approximateBias?.below ?? 0);
    const targetScore = this.exact(req.target);
    this.approximate(req);
    this.scorer.sieve(targetScore + down, targetScore - up);
    const above = this.countAbove(req, targetScore, up, down);
    this.pool(req.k, up + down);
    const { top, topScores } = this.topK(req.k, this.line - (up + down));
    const last = this.last;
    last.target = req.target;
    last.score = targetScore;
    last.up = up;
    last.down = down;
    this.query = null;
    this.bias = undefined;
    this.approximateBias = undefined;
    return { rank: above + 1, targetScore, top, topScores };
  }

  /** The last ranking's target, its exact score, and its error band: exact scores are within [pass − down, pass + up]. */
  lastRanking(): Readonly<{ target: number; score: number; up: number; down: number }> {
    return this.last;
  }

  /**
   * Right after `rank` (before the next one): every eligible item but the target whose float32 pass
   * is at least `lo` and the target's exact score less the band (with lo = −∞: every item ranked
   * above the target, and the band's), in catalogue order with that pass; multi's deep merges.
   */
  candidatesAbove(into: CandidateBuffer, lo = -Infinity): number {
    const { target, score, up } = this.last;
    return this.copySelected(Math.max(lo, score - up), Infinity, target, into, 0);
  }

  /**
   * The float32 pass for `query` made again (the same bits `rank` gets), and every eligible item
   * other than `target` whose pass is in [lo, hi] copied to ids/approx as in `candidatesAbove`.
   */
  passBetween(query: Float32Array, excluded: Uint8Array, target: number, lo: number, hi: number, into: CandidateBuffer, at: number): number {
    const req = { query, excluded, target, k: 0 };
    this.setQuery(req);
    this.approximate(req);
    this.scorer.sieve(hi, lo);
    this.query = null;
    return this.copySelected(lo, hi, target, into, at);
  }

  /** Selects the eligible items with lo ≤ pass ≤ hi and copies all but `skip`, with their pass, into `into` from `at`. */
  private copySelected(lo: number, hi: number, skip: number, into: CandidateBuffer, at: number): number {
    const found = this.scorer.select(lo, hi);
    into.reserve(at + found);
    const { ids, approx } = into;
    const selected = this.scorer.selected;
    let count = 0;
    for (let s = 0; s < found; s++) {
      const i = selected[s]!;
      if (i === skip) continue;
      ids[at + count] = i;
      approx[at + count++] = this.approx(i);
    }
    return count;
  }

  /**
   * How many eligible items other than the target score at least as high as it. Items passing
   * above target + down are above it for certain (the sieve counted them); those in the band
   * [target − up, target + down] are scored exactly (with no band, bias-only scores, the pass is
   * the score itself and ties count against).
   */
  private countAbove(req: RankRequest, target: number, up: number, down: number): number {
    const t = req.target;
    const clear = this.scorer.counts[0]!;
    const atLeastLo = this.scorer.counts[1]!;
    const hi = target + down;
    const lo = target - up;
    const exactPass = up === 0 && down === 0;
    // Only the target itself within the band: nothing to score exactly.
    const a = this.approx(t);
    if (atLeastLo - clear === 1 && a >= lo && a <= hi) return clear;
    let above = clear;
    const band = this.scorer.select(lo, hi);
    const selected = this.scorer.selected;
    for (let s = 0; s < band; s++) {
      const i = selected[s]!;
      if (i !== t && (exactPass || this.exact(i) >= target)) above++;
    }
    return above;
  }

  /**
   * Collects in the scorer's `selected` every eligible item that could end in the top K, in
   * catalogue order, and leaves the K-th best float32 score in `line` (−∞ with fewer than K eligible
   * items): every eligible item scoring at least the K-th best block maximum less `margin`, from the
   * blocks whose maximum reaches that.
   */
  private pool(k: number, margin: number): void {
    const { blockMax, selected } = this.scorer;
    const best = this.best;
    best.reset(k);
    for (let b = 0; b < blockMax.length; b++) best.offer(blockMax[b]!);
    const floor = best.value() - margin;
    best.reset(k);
    this.pooled = this.scorer.select(floor, Infinity);
    for (let j = 0; j < this.pooled; j++) best.offer(this.approx(selected[j]!));
    this.line = best.value();
  }

  /** Sets what `exact` scores against for this ranking (fields, not a closure: one monomorphic call site). */
  private setQuery(req: RankRequest): void {
    this.query = req.query;
    if (req.bias instanceof Float64Array) this.bias = req.bias;
    else this.approximateBias = req.bias;
    if (req.query === null) {
      if (req.bias === undefined) throw new InterestStreamError('INVALID_INPUT', 'a ranking needs a query vector or a bias');
      return;
    }
    this.invQ = 1 / l2Norm(req.query);
    this.dots.setQuery(req.query);
  }

  /** Item i's exact score for the query set by `setQuery`. */
  private exact(i: number): number {
    const q = this.query;
    if (q === null) return this.biasOf(i);
    return this.cosines.rowDot(i, q) * this.invNorms[i]! * this.invQ + this.biasOf(i);
  }

  /** Item i's exact bias for this ranking (0 without one). */
  private biasOf(i: number): number {
    if (this.approximateBias !== undefined) return this.approximateBias.exact(i);
    return this.bias === undefined ? 0 : this.bias[i]!;
  }

  /** Item i's float32 cosine plus its bias, in float64, from the last `approximate`. */
  private approx(i: number): number {
    return this.scorer.out[i]! + this.scorer.offset[i]!;
  }

  /** Puts the float32 cosines (0 without a query), the bias (or 0) and the exclusions in the kernels' buffers. */
  private approximate(req: RankRequest): void {
    const { scorer } = this;
    const q = req.query;
    if (q === null) {
      scorer.out.fill(0);
    } else {
      const invQ = this.invQ;
      const unit = this.unitQuery;
      for (let j = 0; j < q.length; j++) unit[j] = q[j]! * invQ;
      scorer.score(unit);
    }
    const offset = req.bias instanceof Float64Array ? req.bias : req.bias?.approx;
    if (offset !== undefined) scorer.offset.set(offset);
    else if (this.biased) scorer.offset.fill(0);
    this.biased = offset !== undefined;
    scorer.mask.set(req.excluded);
  }

  /**
   * Every pooled item scoring at least `floor` in float32 is scored exactly (a batch at a time); the
   * exact scores decide the K (ties: catalogue order, the order the pool is in).
   */
  private topK(k: number, floor: number): Pick<Ranking, 'top' | 'topScores'> {
    const pool = this.scorer.selected;
    const { left, right, queryRow } = this.dots;
    this.sorted.reset(k);
    let m = 0;
    for (let j = 0; j < this.pooled; j++) {
      const i = pool[j]!;
      if (this.approx(i) < floor) continue;
      left[m] = i;
      right[m] = queryRow;
      if (++m === BATCH) {
        this.offerExact(m);
        m = 0;
      }
    }
    if (m > 0) this.offerExact(m);
    return this.sorted.result();
  }

  /** Offers the first m items of `dots.left` with their exact scores, as `exact` gives them. */
  private offerExact(m: number): void {
    const { dots, sorted } = this;
    const { left, out } = dots;
    if (this.query === null) {
      for (let p = 0; p < m; p++) sorted.offer(left[p]!, this.biasOf(left[p]!));
      return;
    }
    dots.run(m);
    for (let p = 0; p < m; p++) {
      const i = left[p]!;
      sorted.offer(i, out[p]! * this.invNorms[i]! * this.invQ + this.biasOf(i));
    }
  }
}
