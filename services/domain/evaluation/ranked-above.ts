/**
 * One query's ranking read item by item past its top K, for multi's deep merges: the eligible items
 * scoring at least as high as the viewed one, best first (exact scores; ties by catalogue order),
 * then the viewed item itself — exactly the head of the list `CatalogueIndex.rank` orders, up to
 * and including the target, without scoring or sorting all of it.
 *
 * The candidates come with their float32 pass `a`, within [exact − up, exact + down] of the exact
 * score. In order of `a` (bucketed by value, each bucket sorted only when the reading reaches it),
 * two neighbours more than up + down apart are in exact order for certain; only runs of items closer
 * than that (near ties, and the band around the viewed item, whose items may fall below it) are
 * scored exactly and sorted by exact score. A merge usually stops a fraction of the way down, so the
 * candidates below a guessed line `theta` are bucketed only if the reading gets near them.
 */
import { InterestStreamError } from '../errors.js';
import { l2Norm } from '../vector.js';
import type { CandidateBuffer, CatalogueIndex, Ranking } from './catalogue-index.js';

/** Buckets up to this size are insertion-sorted; larger ones (a skewed spread) sort by comparator. */
const INSERTION_UP_TO = 24;

/** A growable pair of parallel arrays: item positions and their float32 pass (what they hold is kept when they grow). */
class Scored implements CandidateBuffer {
  ids = new Int32Array(0);
  approx = new Float64Array(0);
  count = 0;

  reserve(size: number): void {
    if (this.ids.length >= size) return;
    const capacity = Math.max(size, 2 * this.ids.length);
    const [ids, approx] = [new Int32Array(capacity), new Float64Array(capacity)];
    ids.set(this.ids);
    approx.set(this.approx);
    [this.ids, this.approx] = [ids, approx];
  }
}

export class RankedAbove {
  /** The candidates at or above `theta`, then (once needed) the rest: bucket order, sorted through bucket `sortedBuckets − 1`. */
  private readonly items = new Scored();
  /** True while the candidates below `theta` are not in `items` yet (they are found by a second pass if the reading gets near them). */
  private coldPending = false;
  private excluded: Uint8Array = new Uint8Array(0);
  /** Scratch: a range's items while they are scattered into buckets, and their buckets. */
  private readonly scratch = new Scored();
  private bucketOf = new Int32Array(0);
  private bucketStart: Int32Array = new Int32Array(2);
  private buckets = 0;
  private sortedBuckets = 0;
  private theta = -Infinity;
  /** The next position in `items` to read. */
  private at = 0;
  /** A run of near ties, sorted by exact score, being handed out. */
  private run = new Int32Array(16);
  private runScores = new Float64Array(16);
  private runLength = 0;
  private runAt = 0;
  private target = -1;
  private targetScore = 0;
  private up = 0;
  private down = 0;
  /** Items handed out before the target, and how many the ranking counted above it. */
  private handed = 0;
  private expectedAbove = 0;
  private targetDone = false;
  private query: Float32Array = new Float32Array(0);
  private invQ = 0;

  constructor(private readonly catalogue: CatalogueIndex) {}

  /**
   * Takes the candidates of the ranking `rank` just made for `query` (call right after it). `likelyRead`
   * is a guess of how far the merge will read (any value is correct; a good one saves work).
   */
  collect(query: Float32Array, excluded: Uint8Array, ranking: Ranking, likelyRead: number): void {
    const { items } = this;
    const last = this.catalogue.lastRanking();
    this.theta = lineFor(ranking, likelyRead, last.up + last.down);
    items.count = this.catalogue.candidatesAbove(items, this.theta);
    this.coldPending = this.theta > last.score - last.up;
    this.excluded = excluded;
    this.target = last.target;
    this.targetScore = last.score;
    this.up = last.up;
    this.down = last.down;
    this.expectedAbove = ranking.rank - 1;
    this.query = query;
    this.invQ = 1 / l2Norm(query);
    this.buckets = 0;
    this.sortedBuckets = 0;
    this.bucketStart[0] = 0;
    // Every candidate scores at most the best exact score plus `down`.
    const hi = (ranking.topScores[0] ?? this.targetScore) + this.down;
    this.distribute(0, items.count, Math.max(this.theta, this.targetScore - this.up), hi);
    this.at = 0;
    this.runLength = 0;
    this.runAt = 0;
    this.handed = 0;
    this.targetDone = false;
  }

  /** The next item of the ranking, the target last; −1 after it. */
  next(): number {
    for (;;) {
      if (this.runAt < this.runLength) {
        this.handed++;
        return this.run[this.runAt++]!;
      }
      if (this.at >= this.items.count) {
        if (!this.coldPending) return this.finish();
        this.warmUp();
        continue;
      }
      const end = this.endOfRun(this.at);
      if (end === this.at + 1 && this.items.approx[this.at]! > this.targetScore + this.down) {
        this.handed++;
        return this.items.ids[this.at++]!;
      }
      this.scoreRun(this.at, end);
      this.at = end;
    }
  }

  private finish(): number {
    if (this.targetDone) return -1;
    if (this.handed !== this.expectedAbove) {
      throw new InterestStreamError('INTERNAL', `ordered ranking found ${this.handed} items above the viewed one where the ranking counted ${this.expectedAbove}`);
    }
    this.targetDone = true;
    return this.target;
  }

  /** Appends the candidates below `theta` to `items` (a second float32 pass), bucketed below the others. */
  private warmUp(): void {
    const { items, theta } = this;
    const from = items.count;
    const found = this.catalogue.passBetween(this.query, this.excluded, this.target, this.targetScore - this.up, theta, items, from);
    // The pass is inclusive at theta, where the first collection already took the items.
    let to = from;
    for (let c = from; c < from + found; c++) {
      if (items.approx[c]! >= theta) continue;
      items.ids[to] = items.ids[c]!;
      items.approx[to++] = items.approx[c]!;
    }
    items.count = to;
    this.coldPending = false;
    this.distribute(from, to, this.targetScore - this.up, theta);
  }

  /** One past the last item of the run of near ties starting at `from` (consecutive `a` within up + down). */
  private endOfRun(from: number): number {
    const gap = this.up + this.down;
    let end = from + 1;
    for (;;) {
      if (end >= this.items.count) {
        // The cold candidates are all below theta: none continues a run ending further above it.
        if (!this.coldPending || this.items.approx[end - 1]! - this.theta > gap) return end;
        this.warmUp();
      }
      this.sortThrough(end);
      if (this.items.approx[end - 1]! - this.items.approx[end]! > gap) return end;
      end++;
    }
  }

  /** Scores ids[from … end−1] exactly, keeps those at or above the target's score, sorts them (exact descending, then catalogue order). */
  private scoreRun(from: number, end: number): void {
    if (this.run.length < end - from) {
      this.run = new Int32Array(end - from);
      this.runScores = new Float64Array(end - from);
    }
    const { run, runScores } = this;
    let n = 0;
    for (let p = from; p < end; p++) {
      const i = this.items.ids[p]!;
      const score = this.catalogue.cosines.withQuery(i, this.query, this.invQ);
      if (score < this.targetScore) continue;
      // Insertion by (score desc, catalogue position asc); runs are a handful of items.
      let j = n++;
      while (j > 0 && (runScores[j - 1]! < score || (runScores[j - 1] === score && run[j - 1]! > i))) {
        run[j] = run[j - 1]!;
        runScores[j] = runScores[j - 1]!;
        j--;
      }
      run[j] = i;
      runScores[j] = score;
    }
    this.runLength = n;
    this.runAt = 0;
  }

  /**
   * Counting-sorts items[from … to−1] (every `a` in [lo, hi]) into buckets of equal width, about two
   * items each, appended after the existing buckets (whose values are all higher).
   */
  private distribute(from: number, to: number, lo: number, hi: number): void {
    const count = to - from;
    if (count === 0) return;
    const { ids, approx } = this.items;
    const n = Math.max(1, count >> 1);
    const scale = hi > lo ? n / (hi - lo) : 0;
    const first = this.buckets;
    if (this.bucketStart.length < first + n + 1) this.bucketStart = growInt32(this.bucketStart, 2 * (first + n + 1));
    this.scratch.reserve(count);
    if (this.bucketOf.length < count) this.bucketOf = new Int32Array(Math.max(count, 2 * this.bucketOf.length));
    const start = this.bucketStart;
    const bucketOf = this.bucketOf;
    start.fill(0, first + 1, first + n + 1);
    for (let c = 0; c < count; c++) {
      // (hi − a)·scale is in [0, n]; truncation is floor for non-negative values.
      const b = Math.max(0, Math.min(n - 1, ((hi - approx[from + c]!) * scale) | 0));
      bucketOf[c] = b;
      start[first + b + 1]!++;
    }
    start[first] = from;
    for (let b = first; b < first + n; b++) start[b + 1]! += start[b]!;
    // Scatter through a copy of the range (the source is overwritten), start[b] as the fill pointer.
    const { ids: srcIds, approx: srcApprox } = this.scratch;
    srcIds.set(ids.subarray(from, to));
    srcApprox.set(approx.subarray(from, to));
    for (let c = 0; c < count; c++) {
      const p = start[first + bucketOf[c]!]!++;
      ids[p] = srcIds[c]!;
      approx[p] = srcApprox[c]!;
    }
    for (let b = first + n; b > first; b--) start[b] = start[b - 1]!;
    start[first] = from;
    this.buckets = first + n;
  }

  /** Sorts buckets until position p is in a sorted one. */
  private sortThrough(p: number): void {
    const start = this.bucketStart;
    while (this.sortedBuckets < this.buckets && start[this.sortedBuckets]! <= p) {
      this.sortBucket(start[this.sortedBuckets]!, start[this.sortedBuckets + 1]!);
      this.sortedBuckets++;
    }
  }

  private sortBucket(from: number, to: number): void {
    const { ids, approx } = this.items;
    if (to - from > INSERTION_UP_TO) {
      const order = Array.from({ length: to - from }, (_, x) => from + x).sort((x, y) => approx[y]! - approx[x]!);
      const sortedIds = order.map((x) => ids[x]!);
      const sortedApprox = order.map((x) => approx[x]!);
      ids.set(sortedIds, from);
      approx.set(sortedApprox, from);
      return;
    }
    for (let p = from + 1; p < to; p++) {
      const id = ids[p]!;
      const a = approx[p]!;
      let j = p;
      while (j > from && approx[j - 1]! < a) {
        ids[j] = ids[j - 1]!;
        approx[j] = approx[j - 1]!;
        j--;
      }
      ids[j] = id;
      approx[j] = a;
    }
  }
}

/**
 * A float32 score above which about `read` items of the ranking should lie: interpolated in rank
 * between the last of its top (rank = top length) and the target (rank = its rank), less the error
 * band; −∞ (take everything) when the target is no deeper than that.
 */
function lineFor(ranking: Ranking, read: number, band: number): number {
  const scores = ranking.topScores;
  const last = scores.length;
  if (last === 0 || read >= ranking.rank - 1) return -Infinity;
  if (read <= last) return scores[last - 1]! - band;
  const from = scores[last - 1]!;
  return from + ((ranking.targetScore - from) * (read - last)) / (ranking.rank - last) - band;
}

function growInt32(a: Int32Array, size: number): Int32Array {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}
