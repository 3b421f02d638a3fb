/**
 * Four float64 dot products at once, each summed in component order exactly as a one-at-a-time
 * loop sums it (so to the last bit the same), but in four independent chains: a single sum of d
 * products waits on each addition in turn, and four side by side fill those waits. The exact
 * re-scoring of a ranking's top and intra-list similarity are runs of such sums.
 */
export class FourDots {
  /** Offsets of the four left operands (in `x`) and right operands (in `y`), set by the caller. */
  readonly xo = new Int32Array(4);
  readonly yo = new Int32Array(4);
  /** The four sums of the last `run`. */
  readonly out = new Float64Array(4);
  /** The items the caller's four sums belong to. */
  readonly left = new Int32Array(4);

  /** out[m] = Σ_{j<d} x[xo[m] + j] · y[yo[m] + j], j ascending, for m = 0 … 3. */
  run(x: Float32Array, y: Float32Array, d: number): void {
    const { xo, yo } = this;
    const x0 = xo[0]!;
    const x1 = xo[1]!;
    const x2 = xo[2]!;
    const x3 = xo[3]!;
    const y0 = yo[0]!;
    const y1 = yo[1]!;
    const y2 = yo[2]!;
    const y3 = yo[3]!;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < d; j++) {
      s0 += x[x0 + j]! * y[y0 + j]!;
      s1 += x[x1 + j]! * y[y1 + j]!;
      s2 += x[x2 + j]! * y[y2 + j]!;
      s3 += x[x3 + j]! * y[y3 + j]!;
    }
    this.out[0] = s0;
    this.out[1] = s1;
    this.out[2] = s2;
    this.out[3] = s3;
  }
}

/**
 * The mean of cos(list[x], list[y]) over every x < y, added in that order, 0 below two items; a
 * cosine is (Σ_j raw[a·d + j] · raw[b·d + j]) · invNorms[a] · invNorms[b]. For each x, four y's at
 * a time share each load of x's component.
 */
export function meanPairCosine(raw: Float32Array, invNorms: Float64Array, d: number, list: Int32Array): number {
  const pairs = (list.length * (list.length - 1)) / 2;
  if (pairs === 0) return 0;
  let sum = 0;
  for (let x = 0; x < list.length; x++) {
    const a = list[x]!;
    const oa = a * d;
    const ia = invNorms[a]!;
    let y = x + 1;
    for (; y + 4 <= list.length; y += 4) {
      const b0 = list[y]!;
      const b1 = list[y + 1]!;
      const b2 = list[y + 2]!;
      const b3 = list[y + 3]!;
      const o0 = b0 * d;
      const o1 = b1 * d;
      const o2 = b2 * d;
      const o3 = b3 * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < d; j++) {
        const v = raw[oa + j]!;
        s0 += v * raw[o0 + j]!;
        s1 += v * raw[o1 + j]!;
        s2 += v * raw[o2 + j]!;
        s3 += v * raw[o3 + j]!;
      }
      sum += s0 * ia * invNorms[b0]!;
      sum += s1 * ia * invNorms[b1]!;
      sum += s2 * ia * invNorms[b2]!;
      sum += s3 * ia * invNorms[b3]!;
    }
    for (; y < list.length; y++) {
      const b = list[y]!;
      const ob = b * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += raw[oa + j]! * raw[ob + j]!;
      sum += s * ia * invNorms[b]!;
    }
  }
  return sum / pairs;
}
