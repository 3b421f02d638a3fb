/**
 * Time-decayed view counts over the catalogue, as the popularity store keeps them (half-life
 * POPULAR_HALF_LIFE_MS): a view of weight w at time t counts w·2^((t − epoch0)/H), so the counts
 * as of any time differ from the stored ones by one common factor and their order never changes.
 */
import type { ApproximateBias } from './ranking.js';

const RESCALE_AFTER = 512;

export class DecayedCounts {
  /** Counts scaled to epoch0; ranking by them is ranking by the decayed counts. */
  readonly raw: Float64Array;
  private epoch0: number | null = null;

  constructor(
    size: number,
    readonly halfLifeMs: number,
  ) {
    this.raw = new Float64Array(size);
  }

  /** The time `raw` is scaled to (null before the first view); it moves when every count is rescaled. */
  get epoch(): number | null {
    return this.epoch0;
  }

  record(item: number, weight: number, at: number): void {
    this.epoch0 ??= at;
    const k = Math.floor((at - this.epoch0) / this.halfLifeMs);
    // Keeps the exponent far from float64's limit: a common rescale changes no order.
    if (k > RESCALE_AFTER) {
      const factor = 2 ** -k;
      for (let i = 0; i < this.raw.length; i++) this.raw[i]! *= factor;
      this.epoch0 += k * this.halfLifeMs;
    }
    this.raw[item]! += weight * 2 ** ((at - this.epoch0) / this.halfLifeMs);
  }

  /** The factor turning `raw` into the counts as of `at`. */
  scaleAt(at: number): number {
    return this.epoch0 === null ? 0 : 2 ** ((this.epoch0 - at) / this.halfLifeMs);
  }
}

/**
 * How far (in score) hybrid's popularity terms may drift from their exact values before all of them
 * are computed again: a quarter of the float32 pass's own bound at d = 64, so the band of items
 * scored exactly stays about as narrow.
 */
const MAX_DRIFT = 2 ** -18;
/** Rounding of λ·log1p(count·scale), relative to the largest term: far above float64's few ulps. */
const ROUNDING = 2 ** -40;

/**
 * Hybrid's popularity term λ·log(1 + count as of the ranking's time) per item. Every count decays
 * between two rankings, so computing the term exactly for the whole catalogue means a `log1p` per
 * item per ranking; instead `approx` holds the terms as of an earlier time t0 (each item's updated
 * when a view is recorded), which the ranking adds in its float32 pass with the bound below, and
 * `exact` gives the very bits λ·log1p(count·scale) for the few items the ranking scores exactly.
 * Between t0 and t every count is scaled by the same r = 2^((t0 − t)/H), and
 * |log1p(c·r) − log1p(c)| ≤ |ln r| for every c ≥ 0: the bound is λ·|ln r|, one-sided.
 */
export class LogPopularityBias implements ApproximateBias {
  readonly approx: Float64Array;
  below = 0;
  above = 0;
  /** The counts' scale at the ranking's time (exact) and at t0 (approx), and the epoch t0's refers to. */
  private scale = 0;
  private approxScale = 0;
  private approxEpoch: number | null = null;
  private largest = 0;

  constructor(
    private readonly counts: DecayedCounts,
    private readonly lambda: number,
  ) {
    this.approx = new Float64Array(counts.raw.length);
  }

  /** Makes `exact` and the bounds those of time `at`; recomputes `approx` once it has drifted too far. */
  at(at: number): this {
    this.scale = this.counts.scaleAt(at);
    if (this.approxEpoch !== this.counts.epoch || this.drift() > MAX_DRIFT) this.refresh();
    const drift = this.drift();
    const rounding = ROUNDING * (1 + this.lambda + this.largest);
    // Counts shrink as time goes on: the exact terms fall below the approximate ones (or rise above
    // them, for a ranking stamped before t0).
    this.below = (this.scale < this.approxScale ? drift : 0) + rounding;
    this.above = (this.scale > this.approxScale ? drift : 0) + rounding;
    return this;
  }

  /** Follows one item's count after `counts.record`. */
  recorded(item: number): void {
    if (this.approxEpoch !== this.counts.epoch) return; // every term is recomputed at the next `at`
    this.approx[item] = this.lambda * Math.log1p(this.counts.raw[item]! * this.approxScale);
    this.largest = Math.max(this.largest, this.approx[item]!);
  }

  exact(item: number): number {
    return this.lambda * Math.log1p(this.counts.raw[item]! * this.scale);
  }

  /** λ·|ln(scale / approxScale)|: how far any term can be from its approximation. */
  private drift(): number {
    if (this.lambda === 0 || this.scale === this.approxScale) return 0;
    return this.lambda * Math.abs(Math.log(this.scale / this.approxScale));
  }

  private refresh(): void {
    const { raw } = this.counts;
    let largest = 0;
    for (let i = 0; i < raw.length; i++) {
      const term = this.lambda * Math.log1p(raw[i]! * this.scale);
      this.approx[i] = term;
      largest = Math.max(largest, term);
    }
    this.largest = largest;
    this.approxScale = this.scale;
    this.approxEpoch = this.counts.epoch;
  }
}
