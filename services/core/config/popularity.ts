import type { Reader } from './reader.js';

/** The cold-start popularity counts that ingest keeps and the query service reads. */
export interface PopularitySettings {
  /** POPULAR_HALF_LIFE_MS: half-life of a view in the cold-start popularity counts. Default 86400000 (one day). */
  readonly popularHalfLifeMs: number;
  // --- Popularity on Redis Cluster (issue 14) ---
  /** POPULAR_SHARDS: sorted sets the popularity counts are spread over (one slot each on Redis Cluster). Default 8. */
  readonly popularShards: number;
  /** POPULAR_CACHE_MS: how long the query process reuses the merged popularity shards it read. Default 1000. */
  readonly popularCacheMs: number;
}

export function readPopularitySettings(r: Reader): PopularitySettings {
  return {
    popularHalfLifeMs: r.int('POPULAR_HALF_LIFE_MS', 86_400_000, 1),
    popularShards: r.int('POPULAR_SHARDS', 8, 1, 1024),
    popularCacheMs: r.int('POPULAR_CACHE_MS', 1000, 0, 600_000),
  };
}
