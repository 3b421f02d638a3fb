import type { Config } from '../core/config.js';
import { isInterestStreamError } from '../domain/errors.js';
import type { Logger } from '../core/logger.js';
import { RedisKeys } from '../core/names.js';
import type { HistoryStore, PopularityStore, UserStateStore, VectorStore } from '../domain/ports/index.js';
import type { RedisClient } from '../adapters/redis/redis-client.js';
import type { RedisGenerationRegistry } from '../adapters/redis/redis-generation-registry.js';
import { RedisHistoryStore } from '../adapters/redis/redis-history-store.js';
import { RedisPopularityStore } from '../adapters/redis/redis-popularity-store.js';
import { RedisUserStateStore } from '../adapters/redis/redis-user-state-store.js';
import { RedisUserPurge } from '../adapters/redis/redis-user-purge.js';
import { UserSource } from './user-source.js';
import { RedisIngestProgress } from '../adapters/redis/redis-ingest-progress.js';
import { ProgressWaiter } from './read-your-writes.js';

/** Everything the use cases read for one generation. */
export interface GenerationView {
  readonly name: string;
  readonly itemsCollection: string;
  readonly userStates: UserStateStore;
  readonly users: UserSource;
  readonly popularity: PopularityStore;
  readonly history: HistoryStore;
  /** Ingest's progress over the interactions topic in this generation (read-your-writes). */
  readonly progress: ProgressWaiter;
  /** Purges an erased user's keys of this generation down to the tombstone. */
  readonly purge: RedisUserPurge;
}

/** Which generation a request reads. */
export interface GenerationViews {
  current(): Promise<GenerationView>;
  /** Every other registered generation (a replay in progress, a retired one): an erasure purges them too. */
  others(): Promise<GenerationView[]>;
}

/**
 * Follows the active-generation pointer: it is read on every request (one small Redis GET), so a
 * request that starts after `generation activate` returns already reads the new generation, and
 * one that started before finishes on the old one. Views are built once per generation.
 */
export class ActiveGenerationViews implements GenerationViews {
  private readonly views = new Map<string, Promise<GenerationView>>();
  private lastPointer: string | null | undefined;

  constructor(
    private readonly active: () => Promise<string | null>,
    private readonly fallback: string,
    private readonly make: (name: string) => Promise<GenerationView>,
    private readonly registered: () => Promise<string[]> = async () => [],
  ) {}

  async current(): Promise<GenerationView> {
    return this.view((await this.pointer()) ?? this.fallback);
  }

  async others(): Promise<GenerationView[]> {
    const current = (await this.pointer()) ?? this.fallback;
    return Promise.all((await this.registered()).filter((name) => name !== current).map((name) => this.view(name)));
  }

  private view(name: string): Promise<GenerationView> {
    let view = this.views.get(name);
    if (view === undefined) {
      view = this.make(name);
      this.views.set(name, view);
      view.catch(() => this.views.delete(name));
    }
    return view;
  }

  /**
   * The pointer; while Redis cannot answer for its slot (a Redis Cluster failover: seconds), the last
   * one read, so every request does not fail with it. Activation is seen once Redis answers again.
   */
  private async pointer(): Promise<string | null> {
    try {
      this.lastPointer = await this.active();
      return this.lastPointer;
    } catch (e) {
      if (this.lastPointer === undefined || !isInterestStreamError(e) || !e.retryable) throw e;
      return this.lastPointer;
    }
  }
}

export interface ViewSources {
  readonly redis: RedisClient;
  readonly vectors: VectorStore;
  readonly registry: RedisGenerationRegistry;
  readonly config: Config;
  readonly logger: Logger;
}

/**
 * Builds the view of a named generation over shared connections: its Redis prefix, its users
 * collection, and the items collection it was registered with (config.itemsCollection before ingest
 * has registered it).
 */
export function generationViewFactory(src: ViewSources): (name: string) => Promise<GenerationView> {
  const { redis, vectors, registry, config, logger } = src;
  return async (name) => {
    const keys = new RedisKeys(config.redisPrefix, name);
    const userStates = new RedisUserStateStore(redis, keys);
    const info = await registry.get(name);
    const progress = new RedisIngestProgress(redis, keys);
    return {
      name,
      itemsCollection: info?.itemsCollection ?? config.itemsCollection,
      userStates,
      users: new UserSource(userStates, vectors, name, logger),
      popularity: new RedisPopularityStore(redis, keys, { halfLifeMs: config.popularHalfLifeMs, shards: config.popularShards, cacheMs: config.popularCacheMs }),
      history: new RedisHistoryStore(redis, keys, config.historySize),
      progress: new ProgressWaiter(() => progress.read(config.interactionsTopic)),
      purge: new RedisUserPurge(redis, keys, config.dirtyShards),
    };
  };
}
