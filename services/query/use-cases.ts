/**
 * The query service's use cases, shared by HTTP and gRPC: inputs are already validated (see
 * validation.ts), outputs are plain data each transport renders in its own way.
 */
import type { ErasurePublisher, Filter, SearchHit, VectorPoint, VectorStore } from '../domain/ports/index.js';
import type { UserState } from '../domain/types.js';
import { averageStrategy } from '../domain/strategies.js';
import { InterestStreamError } from '../domain/errors.js';
import type { Logger } from '../core/logger.js';
import { matchesFilter } from '../domain/filter.js';
import type { GenerationView, GenerationViews } from './generation-views.js';
import { currentTrend, readHistory, type HistoryQuery, type UserHistory } from './history.js';
import { chooseStrategy, DEFAULT_QUALITY, pooledRecommendations, type PooledRequest, type QualityConfig } from './quality.js';
import { multiInterestRecommendations, type MultiRequest } from './multi-interest.js';
import type { ErasureStatus, RedisErasures } from '../adapters/redis/redis-erasures.js';
import { erasureStatus, eraseUser, type ErasureReceipt, type Requester } from './erasures.js';

export type { ErasureReceipt, Requester } from './erasures.js';
import type { Contribution } from '../domain/explain.js';
import type { LoadedUser, StateSource } from './user-source.js';
import type { ExcludeSet, Strategy } from './validation.js';
import { DEFAULT_AFTER_WAIT_MS, type ConsistencyToken } from '../core/consistency-token.js';
import { DEFAULT_TOPICS } from '../core/names.js';
import { awaitToken, type ReadYourWrites } from './read-your-writes.js';

export type Fallback = null | 'cold_start' | 'insufficient_history';

export interface RecommendQuery {
  readonly userId: string;
  readonly limit: number;
  /** Absent: the user's A/B bucket decides (STRATEGY_BUCKETS), else `ema`. */
  readonly strategy?: Strategy;
  readonly exclude: ExcludeSet;
  readonly filter?: Filter;
  /** 0..1: maximal marginal relevance over the nearest items; 0 (default) keeps the order by score. */
  readonly diversity?: number;
  /** Per item, the recent views that contributed most; and the exclusions applied. */
  readonly explain?: boolean;
  /** A consistency token: answer once ingest has folded what it names (or after AFTER_WAIT_MS). */
  readonly after?: ConsistencyToken;
}

export interface ResultItem {
  readonly id: string;
  readonly score: number;
  readonly payload: Readonly<Record<string, unknown>>;
  /** With explain: the recent views closest to the item, by cosine × their EMA weight, largest first. */
  readonly because?: Contribution[];
  /** Under `multi`: which of the user's interests found the item, 0 for the most important. */
  readonly interest?: number;
}

export interface Recommendations {
  readonly userId: string;
  /** The strategy asked for (or the bucket's); `fallback` says when another one answered. */
  readonly strategy: Strategy;
  /** The A/B bucket (`<strategy>:<weight>`) that chose the strategy; null when the request named one or no buckets are configured. */
  readonly bucket: string | null;
  readonly fallback: Fallback;
  readonly items: ResultItem[];
  /** With explain: how many of the user's seen and disliked items were kept out of the results. */
  readonly exclusions?: { readonly seen: number; readonly disliked: number };
  /** How current the state behind the answer is: events folded, and the last one's time (epoch ms, null when none). */
  readonly freshness: Freshness;
  /** With IMPRESSIONS_TOPIC: the id of this answer's impression record. */
  readonly impressionId?: string;
}

/**
 * Events folded and the last one's time; with `after`, `caughtUp` says whether ingest had folded
 * what the token names (false: AFTER_WAIT_MS passed first, the answer may not reflect it).
 */
export interface Freshness {
  readonly eventCount: number;
  readonly updatedAt: number | null;
  readonly caughtUp?: boolean;
}

export interface InterestSummary {
  readonly userId: string;
  readonly source: StateSource;
  readonly hasVector: boolean;
  readonly dimension: number | null;
  readonly eventCount: number;
  readonly updatedAt: number | null;
  readonly recentViews: readonly string[];
  readonly seenCount: number;
  readonly dislikedCount: number;
  readonly degenerateUpdates: number;
  /** Interest vectors kept for `multi`. */
  readonly interests: number;
  /** Only when asked for. */
  readonly vector?: number[];
  /** Only with `after`: the same numbers, and whether ingest had caught up with the token. */
  readonly freshness?: Freshness;
}

export interface QueryDeps {
  /** The generation each request reads (the active one, or a fixed one). */
  readonly generations: GenerationViews;
  readonly vectors: VectorStore;
  readonly publisher: ErasurePublisher;
  /** Deletes the user's data keys (ERASURE_MODE=shred, adapters/shredding.ts): their sealed events become unreadable. */
  readonly forgetKeys?: (userId: string) => Promise<void>;
  /** Erasure records and erase markers (Redis, shared by generations). */
  readonly erasures: RedisErasures;
  /** W of the trend strategy: it reads the last 2W snapshots. */
  readonly trendWindow: number;
  readonly logger: Logger;
  /** γ of the damped trend (TREND_MOMENTUM); default 1. */
  readonly trendMomentum?: number;
  /** Buckets, hybrid λ and the fold's α for explanations; absent: no buckets, λ 0.1. */
  readonly quality?: QualityConfig;
  /** Called once per answer with the strategy and its fallback (metrics). */
  readonly onAnswer?: (strategy: Strategy, fallback: Fallback) => void;
  /** The topic tokens must name and AFTER_WAIT_MS; absent: the default topic and 200 ms. */
  readonly readYourWrites?: ReadYourWrites;
}

const DEFAULT_READ_YOUR_WRITES: ReadYourWrites = { topic: DEFAULT_TOPICS.interactions, waitMs: DEFAULT_AFTER_WAIT_MS };

/** How many popular candidates to read per wanted result when a filter may reject most of them. */
const COLD_START_FILTER_FACTOR = 10;
const COLD_START_MIN_SCAN = 500;

export class QueryUseCases {
  constructor(private readonly deps: QueryDeps) {}

  /** Recommendations for a user; an unknown user gets popular items (`cold_start`), never an error. */
  async recommend(q: RecommendQuery): Promise<Recommendations> {
    const g = await this.deps.generations.current();
    const caughtUp = await awaitToken(g.progress, q.after, this.deps.readYourWrites ?? DEFAULT_READ_YOUR_WRITES);
    const { state } = await g.users.load(q.userId);
    const live = state !== null && !state.erased ? state : null;
    const excludeIds = exclusions(live, q.exclude);
    const freshness = { eventCount: live?.eventCount ?? 0, updatedAt: live && live.lastEventAt > 0 ? live.lastEventAt : null, ...caughtUp };
    const { strategy, bucket } = chooseStrategy(q.userId, q.strategy, this.deps.quality);
    const explained = q.explain === true ? { exclusions: { seen: q.exclude.seen ? (live?.seen.length ?? 0) : 0, disliked: q.exclude.disliked ? (live?.disliked.length ?? 0) : 0 } } : {};
    const base = { userId: q.userId, strategy, bucket, freshness, ...explained };
    if (live?.vector == null) {
      this.deps.onAnswer?.(strategy, 'cold_start');
      return { ...base, fallback: 'cold_start', items: await this.popular(g, q.limit, excludeIds, q.filter) };
    }
    if (strategy === 'multi' && live.interests.length > 0) {
      this.deps.onAnswer?.(strategy, null);
      return { ...base, fallback: null, items: await this.multi(g, live, { limit: q.limit, excludeIds, filter: q.filter, diversity: q.diversity ?? 0 }, q.explain === true) };
    }
    const { vector, fallback } = await this.queryVector(g, live, live.vector, strategy);
    this.deps.onAnswer?.(strategy, fallback);
    const pooled = strategy === 'hybrid' || (q.diversity ?? 0) > 0 || q.explain === true;
    const items = pooled
      ? await this.pooled(g, live, { vector, limit: q.limit, excludeIds, filter: q.filter, hybrid: strategy === 'hybrid', diversity: q.diversity ?? 0 }, q.explain === true)
      : (await this.deps.vectors.search(g.itemsCollection, { vector, limit: q.limit, excludeIds, filter: q.filter }).catch(noCatalogue([]))).map(toItem);
    return { ...base, fallback, items };
  }

  private async pooled(g: GenerationView, state: UserState, req: Omit<PooledRequest, 'explainWith'>, explain: boolean): Promise<ResultItem[]> {
    const explainWith = explain ? await this.recentVectors(g, state) : undefined;
    const deps = { vectors: this.deps.vectors, itemsCollection: g.itemsCollection, popularity: g.popularity, config: this.deps.quality ?? DEFAULT_QUALITY };
    return pooledRecommendations(deps, { ...req, explainWith }).catch(noCatalogue([]));
  }

  private async multi(g: GenerationView, state: UserState, req: Omit<MultiRequest, 'interests' | 'explainWith'>, explain: boolean): Promise<ResultItem[]> {
    const explainWith = explain ? await this.recentVectors(g, state) : undefined;
    const deps = { vectors: this.deps.vectors, itemsCollection: g.itemsCollection, config: this.deps.quality ?? DEFAULT_QUALITY };
    return multiInterestRecommendations(deps, { ...req, interests: state.interests, explainWith }).catch(noCatalogue([]));
  }

  /** The user's recent views that are still in the catalogue, oldest first, with their vectors. */
  private async recentVectors(g: GenerationView, state: UserState): Promise<Array<{ id: string; vector: Float32Array }>> {
    const items = await this.catalogue(g, state.recentViews);
    return state.recentViews.flatMap((id) => {
      const p = items.get(id);
      return p === undefined ? [] : [{ id, vector: p.vector }];
    });
  }

  /** Items nearest to a catalogue item (never the item itself); NOT_FOUND when it is not in the catalogue. */
  async similar(q: { itemId: string; limit: number; filter?: Filter }): Promise<ResultItem[]> {
    const g = await this.deps.generations.current();
    const item = (await this.catalogue(g, [q.itemId])).get(q.itemId);
    if (item === undefined) {
      throw new InterestStreamError('NOT_FOUND', `item "${q.itemId}" is not in the catalogue`, { details: { field: 'itemId' } });
    }
    const hits = await this.deps.vectors.search(g.itemsCollection, { vector: item.vector, limit: q.limit, excludeIds: [q.itemId], filter: q.filter });
    return hits.map(toItem);
  }

  /** A summary of a user's state; NOT_FOUND for an unknown or erased user. */
  async interest(q: { userId: string; includeVector: boolean; after?: ConsistencyToken }): Promise<InterestSummary> {
    const g = await this.deps.generations.current();
    const caughtUp = await awaitToken(g.progress, q.after, this.deps.readYourWrites ?? DEFAULT_READ_YOUR_WRITES);
    const { state, source } = await knownUser(g, q.userId, caughtUp.caughtUp === false);
    const summary: InterestSummary = {
      userId: q.userId,
      source,
      hasVector: state.vector !== null,
      dimension: state.vector?.length ?? null,
      eventCount: state.eventCount,
      updatedAt: state.lastEventAt > 0 ? state.lastEventAt : null,
      recentViews: state.recentViews,
      seenCount: state.seen.length,
      dislikedCount: state.disliked.length,
      degenerateUpdates: state.degenerateUpdates,
      interests: state.interests.length,
      ...(caughtUp.caughtUp === undefined ? {} : { freshness: { eventCount: state.eventCount, updatedAt: state.lastEventAt > 0 ? state.lastEventAt : null, ...caughtUp } }),
    };
    return q.includeVector && state.vector !== null ? { ...summary, vector: Array.from(state.vector) } : summary;
  }

  /**
   * The user's interest snapshots, oldest first, with the drift between their halves and the current
   * trend; NOT_FOUND for an unknown or erased user, like `interest`. A known user whose first window
   * has not closed yet has no snapshots.
   */
  async history(q: HistoryQuery): Promise<UserHistory> {
    const g = await this.deps.generations.current();
    await knownUser(g, q.userId);
    return readHistory(g, q, this.deps.trendWindow);
  }

  /** Erases a user (erasures.ts). */
  erase(userId: string, requester: Requester = { keyId: undefined, requestId: undefined }): Promise<ErasureReceipt> {
    return eraseUser(this.deps, userId, requester);
  }

  /** Where an erasure stands; NOT_FOUND for an unknown id. */
  erasure(erasureId: string): Promise<ErasureStatus> {
    return erasureStatus(this.deps.erasures, erasureId);
  }

  private async queryVector(g: GenerationView, state: UserState, ema: Float32Array, strategy: Strategy): Promise<{ vector: Float32Array; fallback: Fallback }> {
    if (strategy === 'average') {
      const avg = averageStrategy((await this.recentVectors(g, state)).map((v) => v.vector));
      return avg === null ? { vector: ema, fallback: 'insufficient_history' } : { vector: avg, fallback: null };
    }
    if (strategy === 'trend') {
      const snapshots = await g.history.recent(state.userId, 2 * this.deps.trendWindow);
      const trend = currentTrend(snapshots, this.deps.trendWindow, this.deps.trendMomentum);
      return trend === null ? { vector: ema, fallback: 'insufficient_history' } : { vector: trend.vector, fallback: null };
    }
    // multi reaches here only for a user without interests (MULTI_INTERESTS=0, or state from before them).
    return { vector: ema, fallback: strategy === 'multi' ? 'insufficient_history' : null };
  }

  private catalogue(g: GenerationView, ids: readonly string[]): Promise<Map<string, VectorPoint>> {
    return catalogueItems(this.deps.vectors, g.itemsCollection, ids);
  }

  /** Popular items (decayed view counts, most first) that are still in the catalogue and pass the filter. */
  private async popular(g: GenerationView, limit: number, excludeIds: readonly string[], filter: Filter | undefined): Promise<ResultItem[]> {
    const scan = filter ? Math.max(limit * COLD_START_FILTER_FACTOR, COLD_START_MIN_SCAN) : limit * 2;
    const top = await g.popularity.top(scan, { excludeIds });
    if (top.length === 0) return [];
    const points = await this.catalogue(g, top.map((t) => t.itemId));
    const out: ResultItem[] = [];
    for (const t of top) {
      const p = points.get(t.itemId);
      if (p === undefined || (filter !== undefined && !matchesFilter(p.payload, filter))) continue;
      out.push({ id: t.itemId, score: t.score, payload: p.payload });
      if (out.length === limit) break;
    }
    return out;
  }
}

/** Catalogue items by id; before any import (no items collection yet) there are none. */
export function catalogueItems(vectors: VectorStore, collection: string, ids: readonly string[]): Promise<Map<string, VectorPoint>> {
  return vectors.get(collection, [...new Set(ids)]).catch(noCatalogue(new Map<string, VectorPoint>()));
}

/** The user's live state; NOT_FOUND when the user is unknown or erased (saying so when ingest is behind an `after`). */
async function knownUser(g: GenerationView, userId: string, behind = false): Promise<LoadedUser & { state: UserState }> {
  const loaded = await g.users.load(userId);
  const { state } = loaded;
  if (state === null || state.erased) {
    const why = behind ? ' (ingest had not yet folded the events of `after` when AFTER_WAIT_MS ran out)' : '';
    throw new InterestStreamError('NOT_FOUND', `user "${userId}" has no interest state${why}`, { details: { field: 'userId', ...(behind ? { caughtUp: false } : {}) } });
  }
  return { ...loaded, state };
}

function exclusions(state: UserState | null, exclude: ExcludeSet): string[] {
  if (state === null) return [];
  const ids = new Set<string>();
  if (exclude.seen) state.seen.forEach((id) => ids.add(id));
  if (exclude.disliked) state.disliked.forEach((id) => ids.add(id));
  return [...ids];
}

function toItem(h: SearchHit): ResultItem {
  return { id: h.id, score: h.score, payload: h.payload };
}

function isMissingCollection(e: unknown): boolean {
  return e instanceof InterestStreamError && e.code === 'NOT_FOUND';
}

/** A rejection handler answering `empty` when the items collection does not exist yet. */
function noCatalogue<T>(empty: T): (e: unknown) => T {
  return (e) => {
    if (isMissingCollection(e)) return empty;
    throw e;
  };
}
