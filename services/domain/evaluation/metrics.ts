/**
 * Ranking metrics of one strategy over a replay. Every scored event has exactly one relevant item
 * (the one the user viewed next), so with its 1-based rank r among the eligible items:
 * HR@K = share of events with r ≤ K; NDCG@K = mean of 1/log2(r + 1) when r ≤ K, else 0 (the ideal
 * DCG of one relevant item is 1); MRR = mean of 1/r over the full ranking (no cut-off).
 * Coverage@K = distinct items ever shown in a top K / catalogue size. ILS@K (intra-list similarity)
 * = mean over events of the mean pairwise cosine of the top K (ExactCosines.meanPairCosine).
 */

export interface MetricSummary {
  /** Events ranked. */
  readonly events: number;
  readonly hits: number;
  readonly hr: number;
  readonly ndcg: number;
  readonly mrr: number;
  readonly coverage: number;
  readonly ils: number;
  /** Events on which the strategy could not answer and another one did (trend → ema); 0 for others. */
  readonly fallbacks: number;
  readonly fallbackRate: number;
}

export class MetricAccumulator {
  private events = 0;
  private hits = 0;
  private ndcgSum = 0;
  private rrSum = 0;
  private ilsSum = 0;
  private fallbacks = 0;
  private readonly shown: Uint8Array;
  private shownCount = 0;

  constructor(
    private readonly k: number,
    private readonly catalogueSize: number,
  ) {
    this.shown = new Uint8Array(catalogueSize);
  }

  /** One ranked event: the target's rank, the top K shown, their intra-list similarity; true when it was a hit. */
  add(rank: number, top: Int32Array, ils: number, fellBack: boolean): boolean {
    this.events++;
    const hit = rank <= this.k;
    if (hit) {
      this.hits++;
      this.ndcgSum += 1 / Math.log2(rank + 1);
    }
    this.rrSum += 1 / rank;
    this.ilsSum += ils;
    if (fellBack) this.fallbacks++;
    for (const i of top) {
      if (this.shown[i] === 0) {
        this.shown[i] = 1;
        this.shownCount++;
      }
    }
    return hit;
  }

  summary(): MetricSummary {
    const n = this.events;
    const mean = (x: number) => (n === 0 ? 0 : x / n);
    return {
      events: n,
      hits: this.hits,
      hr: mean(this.hits),
      ndcg: mean(this.ndcgSum),
      mrr: mean(this.rrSum),
      coverage: this.shownCount / this.catalogueSize,
      ils: mean(this.ilsSum),
      fallbacks: this.fallbacks,
      fallbackRate: mean(this.fallbacks),
    };
  }
}

/** HR@K per event-time bucket: hits / events of each of `buckets` equal spans from the first to the last event. */
export function hitRateOverTime(times: Float64Array, hits: Uint8Array, buckets: number): Array<{ from: number; to: number; events: number; hr: number | null }> {
  if (times.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of times) {
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  const span = Math.max(1, hi - lo);
  const events = new Float64Array(buckets);
  const hitCounts = new Float64Array(buckets);
  for (let i = 0; i < times.length; i++) {
    const b = Math.min(buckets - 1, Math.floor(((times[i]! - lo) / span) * buckets));
    events[b]!++;
    hitCounts[b]! += hits[i]!;
  }
  return Array.from(events, (n, b) => ({ from: lo + (span * b) / buckets, to: lo + (span * (b + 1)) / buckets, events: n, hr: n === 0 ? null : hitCounts[b]! / n }));
}
