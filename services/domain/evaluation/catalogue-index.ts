/**
 * The whole catalogue in flat arrays, and exact ranking against it: where one item falls among all
 * the others for a query, and the top K. Scores are cosine similarity (plus an optional per-item
 * bias, e.g. a popularity term), exactly as a brute-force float64 computation gives them:
 * a float32 SIMD pass sorts out the items that are clearly above or below, and every item whose
 * float32 score is within the pass's error bound of the line is scored again in float64.
 */
import { InterestStreamError } from '../errors.js';
import { assertItemVector, l2Norm } from '../vector.js';
import { DotScorer, paddedDimension } from './simd-dot.js';

export interface CatalogueEntry {
  readonly id: string;
  readonly vector: Float32Array;
}

/** Where the target fell and what the top of the list was. */
export interface Ranking {
  /** 1 + the number of eligible items scoring at least as high as the target (ties count against it). */
  readonly rank: number;
  /** The K best eligible items, best first (ties by catalogue order), with their exact scores. */
  readonly top: Int32Array;
  readonly topScores: Float64Array;
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
  readonly bias?: Float64Array;
}

export class CatalogueIndex {
  readonly ids: readonly string[];
  readonly size: number;
  readonly dimension: number;
  private readonly positions = new Map<string, number>();
  /** The vectors as given, row-major, for exact scores. */
  private readonly raw: Float32Array;
  private readonly invNorms: Float64Array;
  private readonly scorer: DotScorer;
  /** Bound on |float32 pass − exact cosine| for a unit query: (d + 8) units of 2^-22, four times the worst case. */
  private readonly slack: number;
  private readonly approx: Float64Array;
  private heap = new Float64Array(0);
  private pool: Int32Array = new Int32Array(256);
  private readonly unitQuery: Float32Array;
  /** The current ranking's query, its 1/‖q‖ and bias (see setQuery). */
  private query: Float32Array | null = null;
  private invQ = 0;
  private bias: Float64Array | undefined;
  /** The pooled items that survive the final line, and their exact scores (reused between rankings). */
  private found: Int32Array = new Int32Array(256);
  private foundScores: Float64Array = new Float64Array(256);

  constructor(items: readonly CatalogueEntry[]) {
    const first = items[0];
    if (first === undefined) throw new InterestStreamError('INVALID_INPUT', 'the catalogue is empty');
    this.size = items.length;
    this.dimension = first.vector.length;
    this.ids = items.map((i) => i.id);
    this.raw = new Float32Array(this.size * this.dimension);
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
    this.slack = (this.dimension + 8) * 2 ** -22;
    this.approx = new Float64Array(this.size);
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

  /** Exact cosine between two catalogue items. */
  itemCosine(a: number, b: number): number {
    const oa = a * this.dimension;
    const ob = b * this.dimension;
    let sum = 0;
    for (let j = 0; j < this.dimension; j++) sum += this.raw[oa + j]! * this.raw[ob + j]!;
    return sum * this.invNorms[a]! * this.invNorms[b]!;
  }

  /**
   * Ranks the target among all eligible items, and finds the top K, in one pass over the float32
   * scores: items clearly above or below the target are counted from them, the few within the
   * slack are scored exactly, and a K-sized heap keeps the line of the top K. Nothing is sorted and
   * nothing is allocated per item: most items fail one comparison (below the target's band and
   * below the heap's line) and cost nothing more.
   */
  rank(req: RankRequest): Ranking {
    this.setQuery(req);
    const slack = req.query === null ? 0 : this.slack;
    const t = req.target;
    const target = this.exact(t);
    const hi = target + slack;
    const lo = target - slack;
    const approx = this.approximate(req);
    const { excluded, k } = req;
    const heap = this.heap.length >= k ? this.heap : (this.heap = new Float64Array(k));
    const n = this.size;
    let size = 0;
    let heapMin = -Infinity;
    let above = 0;
    // Every item that could end in the top K, a superset collected on the way: the line only rises.
    let pool: Int32Array = this.pool;
    let pooled = 0;
    const margin = 2 * slack;
    let poolFloor = -Infinity;
    for (let i = 0; i < n; i++) {
      const a = approx[i]!;
      if ((a < lo && a < poolFloor) || excluded[i] === 1) continue;
      if (a >= poolFloor) {
        if (pooled === pool.length) pool = this.growPool();
        pool[pooled++] = i;
        if (size < k) {
          heap[size] = a;
          siftUp(heap, size++);
          if (size === k) poolFloor = (heapMin = heap[0]!) - margin;
        } else if (a > heapMin) {
          heap[0] = a;
          siftDown(heap, size);
          poolFloor = (heapMin = heap[0]!) - margin;
        }
      }
      // with no slack (bias-only scores) the float64 score is the score itself
      if (a >= lo && i !== t && (a > hi || slack === 0 || this.exact(i) >= target)) above++;
    }
    const line = size < k ? -Infinity : heapMin;
    const { top, topScores } = this.topK(approx, pool, pooled, k, line - margin);
    this.query = null;
    this.bias = undefined;
    return { rank: above + 1, targetScore: target, top, topScores };
  }

  private growPool(): Int32Array {
    const next = new Int32Array(this.pool.length * 2);
    next.set(this.pool);
    this.pool = next;
    return next;
  }

  /** Sets what `exact` scores against for this ranking (fields, not a closure: one monomorphic call site). */
  private setQuery(req: RankRequest): void {
    this.query = req.query;
    this.bias = req.bias;
    if (req.query === null) {
      if (req.bias === undefined) throw new InterestStreamError('INVALID_INPUT', 'a ranking needs a query vector or a bias');
      return;
    }
    this.invQ = 1 / l2Norm(req.query);
  }

  /** Item i's exact score for the query set by `setQuery`. */
  private exact(i: number): number {
    const q = this.query;
    const bias = this.bias;
    if (q === null) return bias![i]!;
    const d = this.dimension;
    const raw = this.raw;
    let sum = 0;
    for (let j = 0, o = i * d; j < d; j++, o++) sum += raw[o]! * q[j]!;
    return sum * this.invNorms[i]! * this.invQ + (bias === undefined ? 0 : bias[i]!);
  }

  /** float32 cosines of every item (plus the bias), in `this.approx`. */
  private approximate(req: RankRequest): Float64Array {
    const out = this.approx;
    const q = req.query;
    const bias = req.bias;
    if (q === null) {
      out.set(bias!);
      return out;
    }
    const invQ = this.invQ;
    const unit = this.unitQuery;
    for (let j = 0; j < q.length; j++) unit[j] = q[j]! * invQ;
    const dots = this.scorer.score(unit);
    if (bias === undefined) out.set(dots);
    else for (let i = 0; i < this.size; i++) out[i] = dots[i]! + bias[i]!;
    return out;
  }

  /**
   * Every pooled item scoring at least `floor` in float32 is scored exactly; the exact scores decide
   * the K (ties: catalogue order). The pool is in catalogue order, so a stable insertion by score
   * keeps ties in catalogue order; popularity ties (items never viewed) can pool most of the
   * catalogue, hence a sort of the survivors rather than one insertion per item.
   */
  private topK(approx: Float64Array, pool: Int32Array, pooled: number, k: number, floor: number): Pick<Ranking, 'top' | 'topScores'> {
    let ids = this.found;
    let scores = this.foundScores;
    let m = 0;
    for (let j = 0; j < pooled; j++) {
      const i = pool[j]!;
      if (approx[i]! < floor) continue;
      if (m === ids.length) {
        ids = growInt(ids);
        scores = growFloat(scores);
      }
      ids[m] = i;
      scores[m++] = this.exact(i);
    }
    this.found = ids;
    this.foundScores = scores;
    const order = Array.from({ length: m }, (_, j) => j);
    order.sort((a, b) => scores[b]! - scores[a]! || ids[a]! - ids[b]!);
    const count = Math.min(k, m);
    const top = new Int32Array(count);
    const topScores = new Float64Array(count);
    for (let j = 0; j < count; j++) {
      top[j] = ids[order[j]!]!;
      topScores[j] = scores[order[j]!]!;
    }
    return { top, topScores };
  }
}

function growInt(a: Int32Array): Int32Array {
  const next = new Int32Array(a.length * 2);
  next.set(a);
  return next;
}

function growFloat(a: Float64Array): Float64Array {
  const next = new Float64Array(a.length * 2);
  next.set(a);
  return next;
}

/** Min-heap steps on a Float64Array (no allocation: they run for every item of every ranking). */
function siftUp(h: Float64Array, i: number): void {
  const v = h[i]!;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]! <= v) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = v;
}

function siftDown(h: Float64Array, size: number): void {
  const v = h[0]!;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    const m = l + 1 < size && h[l + 1]! < h[l]! ? l + 1 : l;
    if (h[m]! >= v) break;
    h[i] = h[m]!;
    i = m;
  }
  h[i] = v;
}
