/**
 * The ranking `strategy=multi` gives in a replay: the list the query service serves for a limit of
 * K (services/query/multi-interest.ts: one ranking per interest, merged in rounds by importance
 * quotas, duplicates skipped), continued past K by the same rounds without quotas. The viewed
 * item's rank is its position in that merged order. Within one interest's ranking the viewed item
 * stands after every item scoring at least as high (ties count against it, as for every strategy).
 */
import { InterestStreamError } from '../errors.js';
import { importanceShares, interestQuotas, mergeByQuota, type Interest } from '../multi-interest.js';
import type { CatalogueIndex, Ranking } from './catalogue-index.js';
import { RankedAbove } from './ranked-above.js';

export interface MultiRankRequest {
  readonly interests: readonly Interest[];
  readonly halfLifeMs: number;
  readonly target: number;
  readonly excluded: Uint8Array;
  readonly k: number;
}

/**
 * Exact. Each interest's ranking is first read to 2K + 1; with the best per-interest rank r of the
 * viewed item and n interests, the merge takes at most K + n·r items before it (K under quotas, then
 * rounds in which the best interest takes one step towards it each). When the first lists reach
 * that far, they are merged as they are. Otherwise the quota round (its K items come from the first
 * lists: an interest takes its quota and skips at most K − quota items taken by others) gives the
 * top K, and the rounds after it read each interest's ranking item by item (`RankedAbove`) until
 * one reaches the viewed item: every ranking ends at it, so none is read past it.
 */
export function rankMulti(catalogue: CatalogueIndex, req: MultiRankRequest): { rank: number; top: Int32Array } {
  const { interests, target, excluded, k } = req;
  const shares = importanceShares(interests, req.halfLifeMs);
  const order = shares.map((_, i) => i).sort((a, b) => shares[b]! - shares[a]! || a - b);
  const quotas = interestQuotas(order.map((i) => shares[i]!), k);
  const work = workFor(catalogue, order.length);
  let best = Infinity;
  const first = order.map((i, j) => {
    const r = catalogue.rank({ query: interests[i]!.vector, target, excluded, k: 2 * k + 1 });
    best = Math.min(best, r.rank);
    // A deep merge reads no interest's ranking past K + n·(best rank); the best so far bounds that.
    if (r.rank > 2 * k) work.lists[j]!.collect(interests[i]!.vector, excluded, r, k + order.length * best);
    return r;
  });
  const depth = k + order.length * best + 1;
  const lists = first.map((r, j) => ({ quota: quotas[j]!, hits: withTargetInPlace(r, target) }));
  // Complete lists (a catalogue of at most 2K + 1 eligible items), or deep enough for the merge.
  const enough = first.every((r) => r.top.length < 2 * k + 1 || Math.min(r.rank, depth) + 1 <= r.top.length);
  const merged = mergeByQuota(lists, enough ? depth : k);
  const at = merged.findIndex((m) => m.hit.id === target);
  const top = Int32Array.from(merged.slice(0, k), (m) => m.hit.id);
  if (at >= 0) return { rank: at + 1, top };
  if (enough) throw new InterestStreamError('INTERNAL', `multi ranking lost the viewed item ${target}`);
  const readers = first.map((r, j) => (r.rank > 2 * k ? work.lists[j]! : new ListReader(lists[j]!.hits)));
  return { rank: work.roundsUntil(readers, top, target) + 1, top };
}

/** Per catalogue: one `RankedAbove` per interest and the taken marks, reused from ranking to ranking. */
class DeepMerge {
  readonly lists: RankedAbove[] = [];
  private readonly taken: Uint8Array;
  private readonly takenIds: number[] = [];

  constructor(private readonly catalogue: CatalogueIndex) {
    this.taken = new Uint8Array(catalogue.size);
  }

  ensure(n: number): void {
    while (this.lists.length < n) this.lists.push(new RankedAbove(this.catalogue));
  }

  /**
   * After the quota round took `top`: rounds without quotas, each interest (in `readers`' order)
   * taking its next item not taken yet, until one takes the target. Returns how many items were
   * taken before it.
   */
  roundsUntil(readers: readonly ItemReader[], top: Int32Array, target: number): number {
    for (const id of top) this.take(id);
    try {
      for (;;) {
        for (const reader of readers) {
          let id = reader.next();
          while (id !== target && this.taken[id] === 1) id = reader.next();
          if (id === target) return this.takenIds.length;
          if (id < 0) throw new InterestStreamError('INTERNAL', `multi ranking read past the viewed item ${target}`);
          this.take(id);
        }
      }
    } finally {
      for (const id of this.takenIds) this.taken[id] = 0;
      this.takenIds.length = 0;
    }
  }

  private take(id: number): void {
    this.taken[id] = 1;
    this.takenIds.push(id);
  }
}

/** Reads a ranking item by item. */
interface ItemReader {
  next(): number;
}

/** A ranking whose first list reaches the target (placed by withTargetInPlace): read from it; −1 past its end. */
class ListReader implements ItemReader {
  private at = 0;
  constructor(private readonly hits: ReadonlyArray<{ id: number }>) {}
  next(): number {
    return this.at < this.hits.length ? this.hits[this.at++]!.id : -1;
  }
}

const merges = new WeakMap<CatalogueIndex, DeepMerge>();

function workFor(catalogue: CatalogueIndex, interests: number): DeepMerge {
  let work = merges.get(catalogue);
  if (work === undefined) {
    work = new DeepMerge(catalogue);
    merges.set(catalogue, work);
  }
  work.ensure(interests);
  return work;
}

/** The ranking's top with the viewed item moved after every item scoring at least as high (when the top reaches that far). */
function withTargetInPlace(r: Ranking, target: number): Array<{ id: number }> {
  const others: Array<{ id: number }> = [];
  for (const i of r.top) if (i !== target) others.push({ id: i });
  if (others.length >= r.rank - 1) others.splice(r.rank - 1, 0, { id: target });
  return others;
}
