import type { Config } from '../../core/config.js';
import { RedisKeys } from '../../core/names.js';
import type { GenerationStoresFactory } from '../../domain/ports/index.js';
import type { RedisClient } from './redis-client.js';
import type { RedisGenerationRegistry } from './redis-generation-registry.js';
import { RedisHistoryStore } from './redis-history-store.js';
import { RedisIngestProgress } from './redis-ingest-progress.js';
import { RedisPopularityStore } from './redis-popularity-store.js';
import { RedisUserPurge } from './redis-user-purge.js';
import { RedisUserStateStore } from './redis-user-state-store.js';

/** The settings the Redis stores of a generation read. */
export type GenerationStoreSettings = Pick<
  Config,
  'redisPrefix' | 'itemsCollection' | 'popularHalfLifeMs' | 'popularShards' | 'popularCacheMs' | 'historySize' | 'dirtyShards'
>;

/**
 * The stores of a named generation over one shared Redis connection: its key prefix, and the items
 * collection it was registered with (`itemsCollection` before ingest has registered it). Composition
 * roots (query/main.ts, the CLI) hand it to the query service's generation views.
 */
export function redisGenerationStores(redis: RedisClient, registry: Pick<RedisGenerationRegistry, 'get'>, settings: GenerationStoreSettings): GenerationStoresFactory {
  const { redisPrefix, popularHalfLifeMs, popularShards, popularCacheMs } = settings;
  return async (name) => {
    const keys = new RedisKeys(redisPrefix, name);
    const userStates = new RedisUserStateStore(redis, keys);
    const info = await registry.get(name);
    return {
      itemsCollection: info?.itemsCollection ?? settings.itemsCollection,
      userStates,
      popularity: new RedisPopularityStore(redis, keys, { halfLifeMs: popularHalfLifeMs, shards: popularShards, cacheMs: popularCacheMs }),
      history: new RedisHistoryStore(redis, keys, settings.historySize),
      progress: new RedisIngestProgress(redis, keys),
      purge: new RedisUserPurge(redis, keys, settings.dirtyShards),
    };
  };
}
