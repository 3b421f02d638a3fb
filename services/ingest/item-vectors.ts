import { LRUCache } from 'lru-cache';
import type { VectorStore } from '../domain/ports/index.js';
import { ITEMS_COLLECTION } from '../core/names.js';

export interface ItemVectorOptions {
  readonly collection?: string;
  readonly cacheSize: number;
  /** How long a cached vector is trusted (0: forever); catalogue updates reach every ingest process within it. */
  readonly ttlMs: number;
  /** Extra lookups of ids still missing, for items published just before the event. */
  readonly retries: number;
  readonly retryDelayMs: number;
  /** Clock (ms); tests move it. */
  readonly now?: () => number;
  /** Told when a background refresh fails (the entries stay until they expire, then are looked up again). */
  readonly onRefreshError?: (e: unknown) => void;
}

interface Cached {
  readonly vector: Float32Array;
  readonly fetchedAt: number;
}

/**
 * Item vectors for the fold: an in-process LRU in front of the items collection. Lookups are
 * batched (one store call per batch of events, not per event) and ids that stay missing after the
 * bounded retries are reported, so their events go to the DLQ instead of blocking the partition.
 *
 * A vector is used for at most `ttlMs` after it was read. One used in the second half of that time
 * is read again in the background (refresh-ahead), so an item in steady use never expires on the
 * hot path: without it every item would cost a blocking store lookup once per TTL, and a batch that
 * meets one waits for it (docs/benchmarks.md, "Freshness").
 */
export class ItemVectors {
  private readonly cache: LRUCache<string, Cached>;
  private readonly collection: string;
  private readonly now: () => number;
  /** Ids being refreshed in the background. */
  private readonly refreshing = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Per id, the invalidation count when it was last invalidated: a read begun before that must not cache it. */
  private readonly invalidatedAt = new Map<string, number>();
  private invalidations = 0;
  /** Store reads out now (blocking and background). */
  private reads = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly store: VectorStore,
    private readonly opts: ItemVectorOptions,
  ) {
    this.collection = opts.collection ?? ITEMS_COLLECTION;
    this.cache = new LRUCache({ max: opts.cacheSize });
    this.now = opts.now ?? Date.now;
  }

  /** Vectors of the ids found; absent ids were still unknown after the retries. */
  async getMany(ids: Iterable<string>): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    let missing: string[] = [];
    const ageing: string[] = [];
    const now = this.now();
    const ttl = this.opts.ttlMs;
    for (const id of ids) {
      const c = this.cache.get(id);
      const age = c === undefined ? 0 : now - c.fetchedAt;
      if (c === undefined || (ttl > 0 && age >= ttl)) {
        missing.push(id);
        continue;
      }
      found.set(id, c.vector);
      if (ttl > 0 && age >= ttl / 2 && !this.refreshing.has(id)) ageing.push(id);
    }
    this.hits += found.size;
    this.misses += missing.length;
    if (ageing.length > 0) this.refreshInBackground(ageing);
    for (let attempt = 0; missing.length > 0 && attempt <= this.opts.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.opts.retryDelayMs));
      const got = await this.read(missing);
      for (const [id, vector] of got) found.set(id, vector);
      missing = missing.filter((id) => !got.has(id));
    }
    return found;
  }

  /** Forgets a cached vector (a live catalogue update seen by this process). */
  invalidate(id: string): void {
    this.cache.delete(id);
    this.invalidatedAt.set(id, ++this.invalidations);
  }

  /** Settles once the background refreshes started so far have (for tests and shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  /** Reads ids from the store into the cache; the vectors found. */
  private async read(ids: readonly string[]): Promise<Map<string, Float32Array>> {
    const fetchedAt = this.now();
    const began = this.invalidations;
    this.reads++;
    try {
      const got = await this.store.get(this.collection, ids);
      const vectors = new Map<string, Float32Array>();
      for (const [id, p] of got) {
        // A live update landed while this read was out: what it read may be the old vector.
        if ((this.invalidatedAt.get(id) ?? 0) <= began) this.cache.set(id, { vector: p.vector, fetchedAt });
        vectors.set(id, p.vector);
      }
      return vectors;
    } finally {
      // No read out any more began before an invalidation: their record can go.
      if (--this.reads === 0) this.invalidatedAt.clear();
    }
  }

  private refreshInBackground(ids: readonly string[]): void {
    for (const id of ids) this.refreshing.add(id);
    const run = (async () => {
      try {
        const got = await this.read(ids);
        // Gone from the catalogue: forget it, so the next event looks it up (and parks or dead-letters).
        for (const id of ids) if (!got.has(id)) this.cache.delete(id);
      } catch (e) {
        this.opts.onRefreshError?.(e);
      } finally {
        for (const id of ids) this.refreshing.delete(id);
      }
    })();
    this.inFlight.add(run);
    void run.then(() => this.inFlight.delete(run));
  }
}
