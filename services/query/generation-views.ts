import { isInterestStreamError } from '../domain/errors.js';
import type { Logger } from '../core/logger.js';
import type { GenerationStoresFactory, HistoryStore, PopularityStore, UserPurge, UserStateStore, VectorStore } from '../domain/ports/index.js';
import { UserSource } from './user-source.js';
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
  readonly purge: UserPurge;
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
  readonly vectors: VectorStore;
  /** The topic whose ingest progress read-your-writes waits on. */
  readonly interactionsTopic: string;
  readonly logger: Logger;
}

/**
 * Builds the view of a named generation from its stores (made by the factory the composition root
 * injects: adapters/redis/redis-generation-stores.ts in production) and the shared vector store.
 */
export function generationViewFactory(storesOf: GenerationStoresFactory, src: ViewSources): (name: string) => Promise<GenerationView> {
  return async (name) => {
    const stores = await storesOf(name);
    return {
      name,
      itemsCollection: stores.itemsCollection,
      userStates: stores.userStates,
      users: new UserSource(stores.userStates, src.vectors, name, src.logger),
      popularity: stores.popularity,
      history: stores.history,
      progress: new ProgressWaiter(() => stores.progress.read(src.interactionsTopic)),
      purge: stores.purge,
    };
  };
}
