/**
 * The query service's use cases, shared by HTTP and gRPC: inputs are already validated (see
 * validation.ts), outputs are plain data each transport renders in its own way.
 */
import { randomUUID } from 'node:crypto';
import type { Filter, SearchHit, VectorPoint, VectorStore } from '../domain/ports.js';
import type { UserState } from '../domain/types.js';
import { averageStrategy } from '../domain/strategies.js';
import { InterestStreamError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../core/config.js';
import type { QueryMetrics } from './metrics.js';
import { matchesFilter } from '../adapters/vector-store/filter.js';
import type { GenerationView, GenerationViews } from './generation-views.js';
import { currentTrend, readHistory, type HistoryQuery, type UserHistory } from './history.js';
import type { ErasurePublisher } from './ports.js';
import { chooseStrategy, pooledRecommendations, type PooledRequest, type QualityConfig } from './quality.js';
import type { Contribution } from '../domain/explain.js';
import type { LoadedUser, StateSource } from './user-source.js';
import type { ExcludeSet, Strategy } from './validation.js';

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
}

export interface ResultItem {
  readonly id: string;
  readonly score: number;
  readonly payload: Readonly<Record<string, unknown>>;
  /** With explain: the recent views closest to the item, by cosine × their EMA weight, largest first. */
  readonly because?: Contribution[];
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
  readonly freshness: { readonly eventCount: number; readonly updatedAt: number | null };
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
  /** Only when asked for. */
  readonly vector?: number[];
}

export interface ErasureReceipt {
  readonly userId: string;
  /** Id of the ERASE event published to the interactions topic. */
  readonly eventId: string;
  readonly purged: { readonly redis: boolean; readonly durable: boolean; readonly historySnapshots: number };
}

export interface QueryDeps {
  /** The generation each request reads (the active one, or a fixed one). */
  readonly generations: GenerationViews;
  readonly vectors: VectorStore;
  readonly publisher: ErasurePublisher;
  /** Deletes the user's data keys (ERASURE_MODE=shred, shred/compose.ts): their sealed events become unreadable. */
  readonly forgetKeys?: (userId: string) => Promise<void>;
  /** W of the trend strategy: it reads the last 2W snapshots. */
  readonly trendWindow: number;
  readonly logger: Logger;
  /** γ of the damped trend (TREND_MOMENTUM); default 1. */
  readonly trendMomentum?: number;
  /** Buckets, hybrid λ and the fold's α for explanations; absent: no buckets, λ 0.1. */
  readonly quality?: QualityConfig;
  /** Called once per answer with the strategy and its fallback (metrics). */
  readonly onAnswer?: (strategy: Strategy, fallback: Fallback) => void;
}

/** The issue-16 dependencies from the configuration: buckets, λ, γ, α, and the answers metric. */
export function qualityDeps(config: Config, metrics: QueryMetrics): Pick<QueryDeps, 'trendMomentum' | 'quality' | 'onAnswer'> {
  return {
    trendMomentum: config.trendMomentum,
    quality: { buckets: config.strategyBuckets, bucketSalt: config.bucketSalt, hybridLambda: config.hybridLambda, alpha: config.alpha },
    onAnswer: (strategy, fallback) => metrics.strategyAnswers.inc({ strategy, fallback: fallback ?? 'none' }),
  };
}

const DEFAULT_QUALITY: QualityConfig = { buckets: [], bucketSalt: '', hybridLambda: 0.1, alpha: 0.2 };

/** How many popular candidates to read per wanted result when a filter may reject most of them. */
const COLD_START_FILTER_FACTOR = 10;
const COLD_START_MIN_SCAN = 500;

/** Who asked for an erasure, for the audit log: the API key's id (undefined without keys) and the request id. */
export interface Requester {
  readonly keyId: string | undefined;
  readonly requestId: string | undefined;
}

export class QueryUseCases {
  constructor(private readonly deps: QueryDeps) {}

  /** Recommendations for a user; an unknown user gets popular items (`cold_start`), never an error. */
  async recommend(q: RecommendQuery): Promise<Recommendations> {
    const g = await this.deps.generations.current();
    const { state } = await g.users.load(q.userId);
    const live = state !== null && !state.erased ? state : null;
    const excludeIds = exclusions(live, q.exclude);
    const freshness = { eventCount: live?.eventCount ?? 0, updatedAt: live && live.lastEventAt > 0 ? live.lastEventAt : null };
    const { strategy, bucket } = chooseStrategy(q.userId, q.strategy, this.deps.quality);
    const explained = q.explain === true ? { exclusions: { seen: q.exclude.seen ? (live?.seen.length ?? 0) : 0, disliked: q.exclude.disliked ? (live?.disliked.length ?? 0) : 0 } } : {};
    const base = { userId: q.userId, strategy, bucket, freshness, ...explained };
    if (live?.vector == null) {
      this.deps.onAnswer?.(strategy, 'cold_start');
      return { ...base, fallback: 'cold_start', items: await this.popular(g, q.limit, excludeIds, q.filter) };
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
  async interest(q: { userId: string; includeVector: boolean }): Promise<InterestSummary> {
    const g = await this.deps.generations.current();
    const { state, source } = await knownUser(g, q.userId);
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

  /**
   * Publishes an ERASE event (so ingest tombstones the user and replays keep them erased), then
   * purges Redis, the durable record and the history at once, so the user is gone before ingest
   * gets to the event. The log line records who asked (the key's id, never the key) and the request.
   */
  async erase(userId: string, requester: Requester = { keyId: undefined, requestId: undefined }): Promise<ErasureReceipt> {
    const eventId = randomUUID();
    await this.deps.publisher.publish([{ eventId, userId, itemId: '', type: 'ERASE', occurredAt: Date.now(), weight: 1 }]);
    // Before the purge: once the keys are gone ingest can fold none of the user's sealed events again.
    await this.deps.forgetKeys?.(userId);
    // The active generation is purged now; every other generation folds the ERASE event itself.
    const g = await this.deps.generations.current();
    const [hot, durable] = await Promise.all([g.userStates.getMany([userId]), g.users.loadDurable(userId)]);
    const [, , historySnapshots] = await Promise.all([
      g.userStates.delete([userId]),
      this.deps.vectors.delete(g.users.collection, [userId]).catch(ignoreMissingCollection),
      g.history.delete(userId),
    ]);
    this.deps.logger.info({ userId, eventId, keyId: requester.keyId ?? null, requestId: requester.requestId ?? null }, 'user erased');
    return { userId, eventId, purged: { redis: hot.has(userId), durable: durable !== null, historySnapshots } };
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
    return { vector: ema, fallback: null };
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

/** The user's live state; NOT_FOUND when the user is unknown or erased. */
async function knownUser(g: GenerationView, userId: string): Promise<LoadedUser & { state: UserState }> {
  const loaded = await g.users.load(userId);
  const { state } = loaded;
  if (state === null || state.erased) {
    throw new InterestStreamError('NOT_FOUND', `user "${userId}" has no interest state`, { details: { field: 'userId' } });
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

function ignoreMissingCollection(e: unknown): void {
  if (!isMissingCollection(e)) throw e;
}

/** A rejection handler answering `empty` when the items collection does not exist yet. */
function noCatalogue<T>(empty: T): (e: unknown) => T {
  return (e) => {
    if (isMissingCollection(e)) return empty;
    throw e;
  };
}
