/**
 * The K best of a stream of (item, exact score) candidates offered in catalogue order, kept sorted
 * best first in reusable buffers. Ties keep catalogue order: a candidate goes after every one
 * already kept with the same score. Offering m candidates costs one comparison each plus the
 * shifts of the few that enter, with no allocation.
 */
/** Lists up to this long find an entry's place by walking from the end. */
const WALK_UP_TO = 32;

/** The first of scores[0 … end−1] (sorted best first) below `score`, or `end`. */
function firstBelow(scores: Float64Array, end: number, score: number): number {
  let lo = 0;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (scores[mid]! >= score) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SortedTop {
  private ids = new Int32Array(16);
  private scores = new Float64Array(16);
  private size = 0;
  private k = 0;

  /** Starts a new list of at most `k` items. */
  reset(k: number): void {
    if (this.ids.length < k) {
      this.ids = new Int32Array(k);
      this.scores = new Float64Array(k);
    }
    this.size = 0;
    this.k = k;
  }

  /** Offers one candidate; candidates must come in catalogue order. */
  offer(id: number, score: number): void {
    const { ids, scores, k } = this;
    let j = this.size;
    if (j === k) {
      if (!(score > scores[k - 1]!)) return;
      j = k - 1;
    } else {
      this.size++;
    }
    // Kept scores below `score` move down one place (the last falls off a full list); equal
    // scores stay ahead of the newcomer. For the K of a ranking (10) a short walk and no call; a
    // deep list (multi reads hundreds) finds the place by halving and moves the tail in one copy.
    if (k > WALK_UP_TO) {
      const at = firstBelow(scores, j, score);
      ids.copyWithin(at + 1, at, j);
      scores.copyWithin(at + 1, at, j);
      j = at;
    } else {
      while (j > 0 && scores[j - 1]! < score) {
        scores[j] = scores[j - 1]!;
        ids[j] = ids[j - 1]!;
        j--;
      }
    }
    ids[j] = id;
    scores[j] = score;
  }

  /** The list so far, as new arrays (they outlive the next reset). */
  result(): { top: Int32Array; topScores: number[] } {
    // A plain array: a Float64Array of more than 8 scores gets its own off-heap buffer, which costs
    // about ten times as much to allocate and collect.
    const topScores = new Array<number>(this.size);
    for (let i = 0; i < this.size; i++) topScores[i] = this.scores[i]!;
    return { top: this.ids.slice(0, this.size), topScores };
  }
}

/** The K-th largest of a stream of numbers (−∞ while fewer than K came), in a min-heap of K: O(log K) for a number that enters, one comparison for the rest. */
export class KthLargest {
  private heap = new Float64Array(16);
  private size = 0;
  private k = 0;

  reset(k: number): void {
    if (this.heap.length < k) this.heap = new Float64Array(k);
    this.size = 0;
    this.k = k;
  }

  offer(value: number): void {
    const heap = this.heap;
    if (this.size < this.k) {
      heap[this.size] = value;
      siftUp(heap, this.size++);
    } else if (value > heap[0]!) {
      heap[0] = value;
      siftDown(heap, this.size);
    }
  }

  value(): number {
    return this.size < this.k ? -Infinity : this.heap[0]!;
  }
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
