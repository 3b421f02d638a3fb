/**
 * The K best of a stream of (item, exact score) candidates offered in catalogue order, kept sorted
 * best first in reusable buffers. Ties keep catalogue order: a candidate goes after every one
 * already kept with the same score. Offering m candidates costs one comparison each plus the
 * shifts of the few that enter, with no allocation.
 */
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
    // scores stay ahead of the newcomer. A short walk for the small K of a ranking, and no call.
    while (j > 0 && scores[j - 1]! < score) {
      scores[j] = scores[j - 1]!;
      ids[j] = ids[j - 1]!;
      j--;
    }
    ids[j] = id;
    scores[j] = score;
  }

  /** The K-th best score offered since the reset, or −∞ while fewer than K were. */
  kth(): number {
    return this.size < this.k ? -Infinity : this.scores[this.k - 1]!;
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
