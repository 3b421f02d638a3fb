/**
 * Time-decayed view counts over the catalogue, as the popularity store keeps them (half-life
 * POPULAR_HALF_LIFE_MS): a view of weight w at time t counts w·2^((t − epoch0)/H), so the counts
 * as of any time differ from the stored ones by one common factor and their order never changes.
 */
const RESCALE_AFTER = 512;

export class DecayedCounts {
  /** Counts scaled to epoch0; ranking by them is ranking by the decayed counts. */
  readonly raw: Float64Array;
  private epoch0: number | null = null;

  constructor(
    size: number,
    private readonly halfLifeMs: number,
  ) {
    this.raw = new Float64Array(size);
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

  /** log(1 + count as of `at`) per item, into `out`. */
  logCountsAt(at: number, out: Float64Array): Float64Array {
    const scale = this.epoch0 === null ? 0 : 2 ** ((this.epoch0 - at) / this.halfLifeMs);
    for (let i = 0; i < this.raw.length; i++) out[i] = Math.log1p(this.raw[i]! * scale);
    return out;
  }
}
