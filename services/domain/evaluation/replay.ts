/**
 * A prequential replay: events in log order, each view ranked against the whole catalogue by every
 * strategy *before* it is folded, then folded with the same `foldEvent` ingest runs. Nothing here
 * reads or writes live state; docs/quality.md states exactly what is counted.
 */
import { InterestStreamError } from '../errors.js';
import { foldEvent, emptyUserState } from '../fold.js';
import { StateKeys } from '../recent-ids.js';
import type { FoldParams, InteractionEvent, UserState, Watermark } from '../types.js';
import type { CatalogueIndex } from './catalogue-index.js';
import type { RankRequest } from './ranking.js';
import { hitRateOverTime, MetricAccumulator, type MetricSummary } from './metrics.js';
import { DecayedCounts, LogPopularityBias } from './popularity.js';
import { diversify, diversityPool } from './diverse-ranking.js';
import { expandGrid, type EvaluationGrid, type Variant } from './variants.js';
import { Growable } from './growable.js';
import { rankMulti } from './multi-ranking.js';
import { ExclusionMarks } from './exclusions.js';
import { TrendHistory } from './trend-history.js';
import { RecentViewQueries } from './recent-view-queries.js';
import { DEFAULT_ANN_DEPTH, rankByAnn, type AnnRanker } from './ann-ranking.js';

export interface ReplayEvent {
  readonly event: InteractionEvent;
  /** The event's log position (partition, offset); a file's events are partition 0, offset = line number. */
  readonly watermark: Watermark;
}

export interface ReplayOptions {
  readonly grid: EvaluationGrid;
  /** The fold parameters other than α and β (RECENT_VIEWS, SEEN_CAP, DISLIKED_CAP, DEDUPE_WINDOW). */
  readonly fold: Omit<FoldParams, 'alpha' | 'beta' | 'dimension'>;
  readonly trendWindow: number;
  readonly snapshotIntervalMs: number;
  readonly popularHalfLifeMs: number;
  /** Views stamped (occurredAt) before this are folded but not ranked: the warm-up. Default: rank from the start. */
  readonly rankFrom?: number;
  /** Events stamped at or after this are left out entirely. Default: none. */
  readonly until?: number;
  /** With an ANN ranker: results read per view (DEFAULT_ANN_DEPTH); a viewed item beyond them counts as a miss. */
  readonly annDepth?: number;
}

/** What happened to the events, whatever the strategies. */
export interface ReplayCounts {
  events: number;
  views: number;
  dislikes: number;
  erases: number;
  /** Events ingest would dead-letter: the item is not in the catalogue. */
  unknownItems: number;
  /** Events the fold rejects (ingest dead-letters them too), e.g. a bad weight. */
  rejected: number;
  /** Duplicate or stale events (by event id or log position): ingest ignores them, so does the replay. */
  repeats: number;
  /** Views of an item the user had already seen or disliked: the product never recommends those, so they are not ranked. */
  excludedTargets: number;
  /** Events stamped at or after `until`: left out. */
  outOfRange: number;
  /** Views before `rankFrom`: folded, not ranked. */
  warmUp: number;
  /** Views ranked by every strategy (the user had an interest vector). */
  scored: number;
  /** Views of users with no interest vector yet (first view, after an erasure, dislikes only): ranked by popularity, as the product answers them. */
  coldStart: number;
}

export interface VariantResult extends MetricSummary {
  readonly name: string;
  readonly strategy: Variant['strategy'];
  readonly params: Readonly<Record<string, number>>;
  /** HR@K per event-time bucket. */
  readonly overTime: ReturnType<typeof hitRateOverTime>;
}

export interface ReplayResult {
  readonly k: number;
  readonly catalogueSize: number;
  readonly users: number;
  readonly counts: ReplayCounts;
  readonly variants: VariantResult[];
  readonly coldStart: MetricSummary;
}

interface UserReplay {
  states: UserState[];
  /** Per fold: the keys of its state's id lists, carried from event to event (see foldEvent). */
  readonly keys: StateKeys[];
  /** Per fold: the snapshots the trend strategy would read, and its queries. */
  readonly trend: TrendHistory;
}

export class PrequentialReplay {
  readonly counts: ReplayCounts = { events: 0, views: 0, dislikes: 0, erases: 0, unknownItems: 0, rejected: 0, repeats: 0, excludedTargets: 0, outOfRange: 0, warmUp: 0, scored: 0, coldStart: 0 };
  private readonly folds: FoldParams[];
  private readonly variants: Variant[];
  private readonly accumulators: MetricAccumulator[];
  private readonly cold: MetricAccumulator;
  private readonly users = new Map<string, UserReplay>();
  private readonly items: Float32Array[];
  /** average's and last's queries (none without those strategies). */
  private readonly recentViewQueries: RecentViewQueries | undefined;
  private readonly popularity: DecayedCounts;
  private readonly exclusions: ExclusionMarks;
  /** Hybrid's popularity term per λ of the grid. */
  private readonly popularityTerms = new Map<number, LogPopularityBias>();
  private readonly times = new Growable(Float64Array);
  private readonly hits: Array<Growable<Uint8Array>>;
  private readonly usesTrend: boolean;
  /** The folds' key of an item id: its catalogue position (−1: not in it), so the keys are the exclusion marks; `push` already has the event's. */
  private readonly positionOf = (id: string): number => (id === this.eventItem.id ? this.eventItem.index : (this.catalogue.indexOf(id) ?? -1));
  private readonly eventItem = { id: '', index: -1 };

  constructor(
    private readonly catalogue: CatalogueIndex,
    private readonly opts: ReplayOptions,
    /** With `evaluate --ann`: rank query-vector strategies with this index instead of exactly. */
    private readonly ann?: AnnRanker,
  ) {
    const { folds, variants } = expandGrid(opts.grid);
    this.folds = folds.map((f) => ({ ...opts.fold, ...f, dimension: catalogue.dimension }));
    this.variants = variants;
    const k = opts.grid.k;
    this.accumulators = variants.map(() => new MetricAccumulator(k, catalogue.size));
    this.cold = new MetricAccumulator(k, catalogue.size);
    this.hits = variants.map(() => new Growable(Uint8Array));
    this.items = Array.from({ length: catalogue.size }, (_, i) => catalogue.vectorOf(i));
    this.recentViewQueries = variants.some((v) => v.strategy === 'average' || v.strategy === 'last') ? new RecentViewQueries(catalogue, this.items) : undefined;
    this.popularity = new DecayedCounts(catalogue.size, opts.popularHalfLifeMs);
    this.exclusions = new ExclusionMarks(catalogue);
    for (const v of variants) if (v.strategy === 'hybrid' && !this.popularityTerms.has(v.lambda!)) this.popularityTerms.set(v.lambda!, new LogPopularityBias(this.popularity, v.lambda!));
    this.usesTrend = variants.some((v) => v.strategy === 'trend');
  }

  /** Ranks (when it is a view) and then folds one event. Events must come in log order per user. */
  push({ event, watermark }: ReplayEvent): void {
    this.counts.events++;
    if (this.opts.until !== undefined && event.occurredAt >= this.opts.until) {
      this.counts.outOfRange++;
      return;
    }
    // −1: the event names no item (ERASE); undefined: not in the catalogue.
    const index = event.type === 'VIEW' || event.type === 'DISLIKE' ? this.catalogue.indexOf(event.itemId) : -1;
    if (index === undefined) {
      this.counts.unknownItems++;
      return;
    }
    this.eventItem.id = event.itemId;
    this.eventItem.index = index;
    const user = this.user(event.userId);
    // A view is ranked against the state before it; its exclusions are read from the fold's keys of
    // that state (catalogue positions) before the fold edits them in place.
    const ranked = event.type === 'VIEW' && event.occurredAt >= (this.opts.rankFrom ?? -Infinity);
    if (ranked) this.exclusions.mark(user.states[0]!, user.keys[0]);
    try {
      this.foldAndRank(user, event, index, watermark);
    } finally {
      if (ranked) this.exclusions.clear();
    }
  }

  /** Folds one event of a known item (or none) into every fold's state, and ranks it when it is a view. */
  private foldAndRank(user: UserReplay, event: InteractionEvent, index: number, watermark: Watermark): void {
    const before = user.states;
    const after = new Array<UserState>(before.length);
    const input = { event, item: index < 0 ? null : this.items[index]!, watermark };
    let outcome = '';
    try {
      for (let f = 0; f < before.length; f++) {
        const step = foldEvent(before[f]!, input, this.folds[f]!, user.keys[f]);
        after[f] = step.state;
        if (f === 0) outcome = step.outcome;
      }
    } catch (e) {
      if (!(e instanceof InterestStreamError)) throw e;
      this.counts.rejected++;
      return;
    }
    user.states = after;
    if (outcome === 'duplicate' || outcome === 'stale') {
      this.counts.repeats++;
      return;
    }
    if (this.usesTrend) user.trend.closeWindows(before, event.occurredAt);
    if (event.type === 'VIEW') {
      this.counts.views++;
      if (event.occurredAt < (this.opts.rankFrom ?? -Infinity)) this.counts.warmUp++;
      else this.score(user, before, index, event.occurredAt);
      this.popularity.record(index, event.weight, event.occurredAt);
      for (const term of this.popularityTerms.values()) term.recorded(index);
    } else if (event.type === 'DISLIKE') {
      this.counts.dislikes++;
    } else {
      this.counts.erases++;
      user.trend.erase();
    }
  }

  result(buckets = 40): ReplayResult {
    const times = this.times.view();
    return {
      k: this.opts.grid.k,
      catalogueSize: this.catalogue.size,
      users: this.users.size,
      counts: { ...this.counts },
      variants: this.variants.map((v, i) => ({
        name: v.name,
        strategy: v.strategy,
        params: paramsOf(v),
        ...this.accumulators[i]!.summary(),
        overTime: hitRateOverTime(times, this.hits[i]!.view(), buckets),
      })),
      coldStart: this.cold.summary(),
    };
  }

  private user(userId: string): UserReplay {
    let u = this.users.get(userId);
    if (u === undefined) {
      const empty = emptyUserState(userId);
      u = { states: this.folds.map(() => empty), keys: this.folds.map(() => new StateKeys(this.positionOf)), trend: new TrendHistory(this.folds.length, this.opts.snapshotIntervalMs, this.opts.trendWindow) };
      this.users.set(userId, u);
    }
    return u;
  }

  /** Ranks a view of `target`; the exclusions of `before[0]` are marked (by `push`). */
  private score(user: UserReplay, before: readonly UserState[], target: number, at: number): void {
    const base = before[0]!;
    if (this.exclusions.marks[target] === 1) {
      this.counts.excludedTargets++;
    } else if (base.vector === null) {
      this.counts.coldStart++;
      const r = this.catalogue.rank({ query: null, bias: this.popularity.raw, target, excluded: this.exclusions.marks, k: this.opts.grid.k });
      this.cold.add(r.rank, r.top, this.ils(r.top), false);
    } else {
      this.counts.scored++;
      this.rankAll(user, before, target, at);
    }
  }

  private rankAll(user: UserReplay, before: readonly UserState[], target: number, at: number): void {
    this.times.push(at);
    this.variants.forEach((v, i) => {
      const r = this.rankVariant(v, user, before, target, at);
      const hit = this.accumulators[i]!.add(r.rank, r.top, this.ils(r.top), r.fellBack);
      this.hits[i]!.push(hit ? 1 : 0);
    });
  }

  private rankVariant(v: Variant, user: UserReplay, before: readonly UserState[], target: number, at: number): { rank: number; top: Int32Array; fellBack: boolean } {
    const k = this.opts.grid.k;
    const interests = before[v.fold]!.interests;
    if (v.strategy === 'multi' && interests.length > 0) {
      return { ...rankMulti(this.catalogue, { interests, halfLifeMs: v.halfLifeMs!, target, excluded: this.exclusions.marks, k }), fellBack: false };
    }
    const { query, bias, fellBack } = this.queryOf(v, user, before, at);
    if (this.ann !== undefined && query !== null && bias === undefined && !v.diversity) {
      return { ...rankByAnn(this.ann, { query, target, exclude: this.exclusions.ids(), k, depth: this.opts.annDepth ?? DEFAULT_ANN_DEPTH }), fellBack };
    }
    const base = this.catalogue.rank({ query, bias, target, excluded: this.exclusions.marks, k: v.diversity ? diversityPool(k) : k });
    const r = v.diversity ? diversify(this.catalogue, base, target, k, v.diversity) : base;
    return { rank: r.rank, top: r.top, fellBack };
  }

  private queryOf(v: Variant, user: UserReplay, before: readonly UserState[], at: number): { query: Float32Array | null; bias?: RankRequest['bias']; fellBack: boolean } {
    const ema = before[v.fold]!.vector!;
    switch (v.strategy) {
      case 'ema':
        return { query: ema, fellBack: false };
      case 'popularity':
        return { query: null, bias: this.popularity.raw, fellBack: false };
      case 'hybrid':
        return { query: ema, bias: this.popularityTerms.get(v.lambda!)!.at(at), fellBack: false };
      case 'average':
      case 'last': {
        const queries = this.recentViewQueries!;
        const avg = v.strategy === 'last' ? queries.last(before[0]!.recentViews) : queries.average(before[0]!.recentViews);
        return avg === null ? { query: ema, fellBack: true } : { query: avg, fellBack: false };
      }
      case 'multi':
        // A user without interests yet: the product answers with ema (insufficient_history).
        return { query: ema, fellBack: true };
      case 'trend': {
        const trend = user.trend.query(v);
        return trend === null ? { query: ema, fellBack: true } : { query: trend, fellBack: false };
      }
    }
  }

  private ils(top: Int32Array): number {
    return this.catalogue.cosines.meanPairCosine(top);
  }
}

function paramsOf(v: Variant): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of ['alpha', 'beta', 'momentum', 'lambda', 'diversity', 'interests', 'threshold', 'halfLifeMs'] as const) if (v[key] !== undefined) out[key] = v[key];
  return out;
}
