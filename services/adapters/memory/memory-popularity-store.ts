import { InterestStreamError } from '../../domain/errors.js';
import type { PopularityIncrement, PopularityStore } from '../../domain/ports/index.js';
import { FORGET_BELOW, clampViewTime, coalesce, decayedScore, rankByScore } from '../../domain/popularity-math.js';

export interface InMemoryPopularityStoreOptions {
  /** Half-life of a view, in ms (config POPULAR_HALF_LIFE_MS). */
  readonly halfLifeMs: number;
  /** Views stamped later than now + this count as stamped then (config MAX_CLOCK_SKEW_MS). Default 5 minutes. */
  readonly futureToleranceMs?: number;
  /** Half-lives a write may lie past the first one before counts too small to matter are forgotten. Default 512. */
  readonly rescaleExponent?: number;
  /** "Now" when a caller gives none: the view-time clamp of `record`, the decay of `top` and `scores`. */
  readonly clock?: () => number;
}

/** An item's count: `weight` views as of `at`, the time of its latest view. */
interface Count {
  readonly weight: number;
  readonly at: number;
}

/**
 * The PopularityStore fake for unit tests: the Redis adapter's decay, clamp and ranking rules
 * (domain/popularity-math) over one map instead of sharded sorted sets. Counts are kept relative to
 * each item's latest view, so no rescale is needed against overflow; the forgetting the Redis
 * adapter does when it rescales (a write more than `rescaleExponent` half-lives past its epoch drops
 * counts below FORGET_BELOW) is kept, so both forget the same items. Passes
 * test/contracts/popularity-store.contract.ts alongside RedisPopularityStore.
 */
export class InMemoryPopularityStore implements PopularityStore {
  private readonly counts = new Map<string, Count>();
  private readonly halfLifeMs: number;
  private readonly futureToleranceMs: number;
  private readonly rescaleExponent: number;
  private readonly clock: () => number;
  private epoch0: number | undefined;

  constructor(options: InMemoryPopularityStoreOptions) {
    if (!(options.halfLifeMs > 0)) throw new InterestStreamError('INVALID_INPUT', `halfLifeMs must be above 0, got ${options.halfLifeMs}`);
    this.halfLifeMs = options.halfLifeMs;
    this.futureToleranceMs = options.futureToleranceMs ?? 300_000;
    this.rescaleExponent = options.rescaleExponent ?? 512;
    this.clock = options.clock ?? Date.now;
  }

  async record(increments: readonly PopularityIncrement[], now: number = this.clock()): Promise<void> {
    if (increments.length === 0) return;
    const views = coalesce(increments.map((inc) => ({ ...inc, at: clampViewTime(inc.at, now, this.futureToleranceMs) })), this.halfLifeMs);
    this.forgetBefore(Math.max(...views.map((v) => v.at)));
    for (const { itemId, weight, at } of views) {
      const c = this.counts.get(itemId);
      const latest = Math.max(at, c?.at ?? at);
      const sum = this.decayed(c, latest) + decayedScore(weight, at, latest, this.halfLifeMs);
      this.counts.set(itemId, { weight: Math.min(Number.MAX_VALUE, sum), at: latest });
    }
  }

  async top(limit: number, options: { excludeIds?: readonly string[]; now?: number } = {}): Promise<Array<{ itemId: string; score: number }>> {
    if (!Number.isInteger(limit) || limit < 0) throw new InterestStreamError('INVALID_INPUT', `limit must be a non-negative integer, got ${limit}`);
    const excluded = new Set(options.excludeIds ?? []);
    const now = options.now ?? this.clock();
    const rows = [...this.counts].filter(([itemId]) => !excluded.has(itemId)).map(([itemId, c]) => ({ itemId, score: this.decayed(c, now) }));
    return rankByScore(rows).slice(0, limit);
  }

  async scores(itemIds: readonly string[], now: number = this.clock()): Promise<number[]> {
    return itemIds.map((id) => this.decayed(this.counts.get(id), now));
  }

  async clear(): Promise<void> {
    this.counts.clear();
    this.epoch0 = undefined;
  }

  private decayed(c: Count | undefined, now: number): number {
    return c === undefined ? 0 : decayedScore(c.weight, c.at, now, this.halfLifeMs);
  }

  /** What the Redis adapter's rescale does: whole half-lives on, counts below FORGET_BELOW are dropped. */
  private forgetBefore(latest: number): void {
    this.epoch0 ??= latest;
    const k = Math.floor((latest - this.epoch0) / this.halfLifeMs);
    if (k <= this.rescaleExponent) return;
    this.epoch0 += k * this.halfLifeMs;
    for (const [itemId, c] of this.counts) if (this.decayed(c, this.epoch0) < FORGET_BELOW) this.counts.delete(itemId);
  }
}
