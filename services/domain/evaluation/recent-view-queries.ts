/**
 * The query vectors of `average` and `last` in a replay: the normalised mean of a user's recent
 * views (all of them, or the last one), from the catalogue's vectors and a table of their norms
 * computed once (the strategies normalise the same items view after view).
 */
import { averageStrategy } from '../strategies.js';
import { l2Norm } from '../vector.js';
import type { CatalogueIndex } from './catalogue-index.js';

/** last's queries kept at most (10,000 × 256 dimensions × 4 bytes: 10 MB). */
const LAST_QUERIES = 10_000;

export class RecentViewQueries {
  private readonly norms: Float64Array;
  /** last's query per catalogue position of the last viewed item. */
  private readonly lastQueries = new Map<number, Float32Array | null>();

  constructor(
    private readonly catalogue: CatalogueIndex,
    private readonly items: readonly Float32Array[],
  ) {
    this.norms = Float64Array.from(items, l2Norm);
  }

  /** averageStrategy of the items `ids` names (all in the catalogue); null when they cancel out or there are none. */
  average(ids: readonly string[]): Float32Array | null {
    const positions = ids.map((id) => this.catalogue.indexOf(id)!);
    return averageStrategy(positions.map((i) => this.items[i]!), positions.map((i) => this.norms[i]!));
  }

  /**
   * The average of the last id alone: a function of that item only, so kept per item (the queries are
   * read, never written) instead of a new off-heap vector per ranking. At most LAST_QUERIES of them,
   * forgotten all at once when full.
   */
  last(ids: readonly string[]): Float32Array | null {
    const id = ids.at(-1);
    if (id === undefined) return null;
    const position = this.catalogue.indexOf(id)!;
    let query = this.lastQueries.get(position);
    if (query === undefined) {
      if (this.lastQueries.size >= LAST_QUERIES) this.lastQueries.clear();
      query = this.average([id]);
      this.lastQueries.set(position, query);
    }
    return query;
  }
}
