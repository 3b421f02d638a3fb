import { LRUCache } from 'lru-cache';
import type { VectorStore } from '../domain/ports/index.js';
import { ITEMS_COLLECTION } from '../core/names.js';

export interface ItemVectorOptions {
  readonly collection?: string;
  readonly cacheSize: number;
  /** How long a cached vector is trusted; catalogue updates reach every ingest process within it. */
  readonly ttlMs: number;
  /** Extra lookups of ids still missing, for items published just before the event. */
  readonly retries: number;
  readonly retryDelayMs: number;
}

/**
 * Item vectors for the fold: an in-process LRU in front of the items collection. Lookups are
 * batched (one store call per batch of events, not per event) and ids that stay missing after the
 * bounded retries are reported, so their events go to the DLQ instead of blocking the partition.
 */
export class ItemVectors {
  private readonly cache: LRUCache<string, Float32Array>;
  private readonly collection: string;
  hits = 0;
  misses = 0;

  constructor(
    private readonly store: VectorStore,
    private readonly opts: ItemVectorOptions,
  ) {
    this.collection = opts.collection ?? ITEMS_COLLECTION;
    this.cache = new LRUCache({ max: opts.cacheSize, ttl: opts.ttlMs > 0 ? opts.ttlMs : undefined, ttlAutopurge: false });
  }

  /** Vectors of the ids found; absent ids were still unknown after the retries. */
  async getMany(ids: Iterable<string>): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    let missing: string[] = [];
    for (const id of ids) {
      const v = this.cache.get(id);
      if (v) found.set(id, v);
      else missing.push(id);
    }
    this.hits += found.size;
    this.misses += missing.length;
    for (let attempt = 0; missing.length > 0 && attempt <= this.opts.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.opts.retryDelayMs));
      const got = await this.store.get(this.collection, missing);
      for (const [id, p] of got) {
        this.cache.set(id, p.vector);
        found.set(id, p.vector);
      }
      missing = missing.filter((id) => !got.has(id));
    }
    return found;
  }

  /** Forgets a cached vector (a live catalogue update seen by this process). */
  invalidate(id: string): void {
    this.cache.delete(id);
  }
}
