/**
 * Exact float64 cosines over the catalogue's float32 rows: between two items, and between an item
 * and a query. Every exact score a ranking, intra-list similarity or multi's deep merge uses comes
 * from here or from `ExactDots` with the same products added in the same order, so all of them agree
 * to the last bit.
 */
import { BATCH, type ExactDots } from './exact-dots.js';

export class ExactCosines {
  constructor(
    private readonly dots: ExactDots,
    /** 1/‖item‖ per catalogue position. */
    private readonly invNorms: Float64Array,
    private readonly dimension: number,
  ) {}

  /** Item i's vector · q, the products added in order in float64. */
  rowDot(i: number, q: Float32Array): number {
    const d = this.dimension;
    const raw = this.dots.rows;
    let sum = 0;
    for (let j = 0, o = i * d; j < d; j++, o++) sum += raw[o]! * q[j]!;
    return sum;
  }

  /** Item i's exact cosine with `query`, given 1/‖query‖: the bits a ranking scores it with. */
  withQuery(i: number, query: Float32Array, invQ: number): number {
    return this.rowDot(i, query) * this.invNorms[i]! * invQ;
  }

  /** Exact cosine between two catalogue items. */
  between(a: number, b: number): number {
    const { dimension } = this;
    const raw = this.dots.rows;
    const oa = a * dimension;
    const ob = b * dimension;
    let sum = 0;
    for (let j = 0; j < dimension; j++) sum += raw[oa + j]! * raw[ob + j]!;
    return sum * this.invNorms[a]! * this.invNorms[b]!;
  }

  /**
   * Intra-list similarity: the mean of between(list[x], list[y]) over every x < y, added in that
   * order (0 below two items), every cosine between's to the last bit (the kernel adds the same
   * products in the same order).
   */
  meanPairCosine(list: Int32Array): number {
    const pairs = (list.length * (list.length - 1)) / 2;
    if (pairs === 0) return 0;
    const { left, right } = this.dots;
    let sum = 0;
    let m = 0;
    for (let x = 0; x < list.length; x++) {
      for (let y = x + 1; y < list.length; y++) {
        left[m] = list[x]!;
        right[m] = list[y]!;
        if (++m === BATCH) {
          sum = this.addCosines(sum, m);
          m = 0;
        }
      }
    }
    return (m > 0 ? this.addCosines(sum, m) : sum) / pairs;
  }

  /** sum + the cosines of the first m pairs of `dots`, added in order. */
  private addCosines(sum: number, m: number): number {
    const { left, right, out } = this.dots;
    this.dots.run(m);
    for (let p = 0; p < m; p++) sum += out[p]! * this.invNorms[left[p]!]! * this.invNorms[right[p]!]!;
    return sum;
  }
}
