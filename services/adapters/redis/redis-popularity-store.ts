import type { PopularityIncrement, PopularityStore } from '../../domain/ports.js';
import { InterestStreamError, toInterestStreamError } from '../../core/errors.js';
import type { RedisKeys } from '../../core/names.js';
import { clampViewTime, decayedScore, parseStoredScore, rankByScore } from '../../domain/popularity-math.js';
import { type RedisClient, defineScripts } from './redis-client.js';

/**
 * Time-decayed view counts in one sorted set per generation (`RedisKeys.popular()`).
 *
 * A view of weight w at time t adds `w · 2^((t − epoch0) / halfLife)` to its item's score, so a
 * score never has to be rewritten as time passes: the count as of `now` is
 * `score · 2^(−(now − epoch0) / halfLife)`, and every item decays by the same factor, which keeps
 * the ranking exact. `epoch0` lives in the same sorted set as a reserved member (a NUL-prefixed
 * name no item id can take: `memberOf` escapes ids that start with NUL) whose score is −epoch0:
 * one key, so the Lua below stays single-slot on Redis Cluster, and the negative score keeps it below every real item.
 *
 * Float overflow: the multiplier doubles every half-life and a double overflows past 2^1024. When
 * a write would push the exponent beyond `rescaleExponent` (default 512 half-lives, far below the
 * limit, with room for large weights), the script moves epoch0 forward by k whole half-lives and
 * multiplies every score by 2^−k in one atomic step — the counts as of any time are unchanged.
 * Scores that fall below one millionth of a view then are dropped: those items are forgotten.
 */
export const EPOCH_MEMBER = '\u0000epoch0';

const FORGET_BELOW = 1e-6;

const RECORD_SCRIPT = `
local key, member = KEYS[1], ARGV[1]
local half, limit, floor = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function fmt(x) return string.format('%.17g', x) end
local n = (#ARGV - 4) / 3
local maxAt = -math.huge
for i = 0, n - 1 do maxAt = math.max(maxAt, tonumber(ARGV[5 + 3 * i + 2])) end
local stored = redis.call('ZSCORE', key, member)
local epoch0
if stored then epoch0 = -tonumber(stored) else
  epoch0 = maxAt
  redis.call('ZADD', key, fmt(-epoch0), member)
end
local k = math.floor((maxAt - epoch0) / half)
local rescaled = 0
if k > limit then
  local factor = 2 ^ (-k)
  local all = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for i = 1, #all, 2 do
    if all[i] ~= member then
      local s = tonumber(all[i + 1]) * factor
      if s < floor then redis.call('ZREM', key, all[i]) else redis.call('ZADD', key, fmt(s), all[i]) end
    end
  end
  epoch0 = epoch0 + k * half
  redis.call('ZADD', key, fmt(-epoch0), member)
  rescaled = k
end
for i = 0, n - 1 do
  local item, w, at = ARGV[5 + 3 * i], tonumber(ARGV[6 + 3 * i]), tonumber(ARGV[7 + 3 * i])
  -- Capped so that a huge weight can never add inf (inf + -inf would make Redis refuse the script).
  redis.call('ZINCRBY', key, fmt(math.min(w * 2 ^ ((at - epoch0) / half), 1e300)), item)
end
return rescaled
`;

interface PopularityCommands {
  isRecordPopularity(key: string, ...args: Array<string | number>): Promise<number>;
}

export interface RedisPopularityStoreOptions {
  /** Half-life of a view, in ms (config POPULAR_HALF_LIFE_MS). */
  readonly halfLifeMs: number;
  /** Half-lives past epoch0 after which scores are rescaled; lowered only by tests. */
  readonly rescaleExponent?: number;
  /**
   * Views stamped later than now + this count as stamped then (config MAX_CLOCK_SKEW_MS): ingest
   * rejects such events, and the store does not trust its callers to. Default 5 minutes.
   */
  readonly futureToleranceMs?: number;
}

export class RedisPopularityStore implements PopularityStore {
  private readonly redis: RedisClient & PopularityCommands;
  private readonly halfLifeMs: number;
  private readonly rescaleExponent: number;
  private readonly futureToleranceMs: number;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    options: RedisPopularityStoreOptions,
  ) {
    if (!(options.halfLifeMs > 0)) throw new InterestStreamError('INVALID_INPUT', `halfLifeMs must be above 0, got ${options.halfLifeMs}`);
    this.halfLifeMs = options.halfLifeMs;
    this.rescaleExponent = options.rescaleExponent ?? 512;
    this.futureToleranceMs = options.futureToleranceMs ?? 300_000;
    this.redis = defineScripts<PopularityCommands>(redis, { isRecordPopularity: { keys: 1, lua: RECORD_SCRIPT } });
  }

  async record(increments: readonly PopularityIncrement[], now: number = Date.now()): Promise<void> {
    if (increments.length === 0) return;
    const args: Array<string | number> = [EPOCH_MEMBER, this.halfLifeMs, this.rescaleExponent, FORGET_BELOW];
    const clamped = increments.map((inc) => ({ ...inc, at: clampViewTime(inc.at, now, this.futureToleranceMs) }));
    for (const inc of coalesce(clamped, this.halfLifeMs)) args.push(memberOf(inc.itemId), inc.weight, inc.at);
    try {
      await this.redis.isRecordPopularity(this.keys.popular(), ...args);
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }

  async top(limit: number, options: { excludeIds?: readonly string[]; now?: number } = {}): Promise<Array<{ itemId: string; score: number }>> {
    if (!Number.isInteger(limit) || limit < 0) throw new InterestStreamError('INVALID_INPUT', `limit must be a non-negative integer, got ${limit}`);
    if (limit === 0) return [];
    const excluded = new Set((options.excludeIds ?? []).map(memberOf));
    const now = options.now ?? Date.now();
    // Fetch enough that `limit` remain after dropping excluded ids and the epoch member.
    const stop = limit + excluded.size;
    let rows: [string | null, string[]];
    try {
      const res = await this.redis.multi().zscore(this.keys.popular(), EPOCH_MEMBER).zrevrange(this.keys.popular(), 0, stop, 'WITHSCORES').exec();
      rows = [res?.[0]?.[1] as string | null, (res?.[1]?.[1] as string[] | undefined) ?? []];
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
    const [epochScore, flat] = rows;
    if (epochScore === null) return [];
    const epoch0 = -parseStoredScore(epochScore);
    const out: Array<{ itemId: string; score: number }> = [];
    for (let i = 0; i < flat.length && out.length < limit; i += 2) {
      const member = flat[i]!;
      if (member === EPOCH_MEMBER || excluded.has(member)) continue;
      out.push({ itemId: itemOf(member), score: decayedScore(parseStoredScore(flat[i + 1]), epoch0, now, this.halfLifeMs) });
    }
    // Redis orders by stored score; the decayed scores keep that order except where clamping ties them.
    return rankByScore(out);
  }

  async scores(itemIds: readonly string[], now: number = Date.now()): Promise<number[]> {
    if (itemIds.length === 0) return [];
    let epochScore: string | null;
    let raw: Array<string | null>;
    try {
      const res = await this.redis.multi().zscore(this.keys.popular(), EPOCH_MEMBER).zmscore(this.keys.popular(), ...itemIds).exec();
      epochScore = res?.[0]?.[1] as string | null;
      raw = (res?.[1]?.[1] as Array<string | null> | undefined) ?? [];
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
    if (epochScore === null) return itemIds.map(() => 0);
    const decay = 2 ** ((-Number(epochScore) - now) / this.halfLifeMs);
    return itemIds.map((id, i) => (id === EPOCH_MEMBER || raw[i] == null ? 0 : Number(raw[i]) * decay));
  }

  async clear(): Promise<void> {
    try {
      await this.redis.del(this.keys.popular());
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}

/**
 * One increment per item: views of an item at times t_i with weights w_i add
 * Σ w_i·2^((t_i − T)/halfLife) as of T = max t_i, exactly what they add one by one. A batch's
 * thousands of views of a few hundred items become a few hundred script arguments.
 */
export function coalesce(increments: readonly PopularityIncrement[], halfLifeMs: number): PopularityIncrement[] {
  const latest = new Map<string, number>();
  for (const inc of increments) {
    checkIncrement(inc);
    latest.set(inc.itemId, Math.max(latest.get(inc.itemId) ?? -Infinity, inc.at));
  }
  const weight = new Map<string, number>();
  for (const inc of increments) {
    const w = inc.weight * 2 ** ((inc.at - latest.get(inc.itemId)!) / halfLifeMs);
    // Capped: finite weights can still sum past the largest double.
    weight.set(inc.itemId, Math.min(Number.MAX_VALUE, (weight.get(inc.itemId) ?? 0) + w));
  }
  return [...latest].map(([itemId, at]) => ({ itemId, weight: weight.get(itemId)!, at }));
}

function checkIncrement(inc: PopularityIncrement): void {
  if (typeof inc.itemId !== 'string' || inc.itemId.length === 0) {
    throw new InterestStreamError('INVALID_INPUT', `popularity: item id ${JSON.stringify(inc.itemId)} is not usable`);
  }
  if (!Number.isFinite(inc.weight) || inc.weight <= 0) {
    throw new InterestStreamError('INVALID_INPUT', `popularity: weight of "${inc.itemId}" must be a finite number above 0, got ${inc.weight}`);
  }
  if (!Number.isFinite(inc.at)) throw new InterestStreamError('INVALID_INPUT', `popularity: time of "${inc.itemId}" must be finite epoch ms`);
}

/**
 * The sorted-set member of an item: its id, with one more NUL in front when the id starts with NUL,
 * so that no item id — not even "\u0000epoch0" — can be the reserved epoch member.
 */
export function memberOf(itemId: string): string {
  return itemId.startsWith('\u0000') ? `\u0000${itemId}` : itemId;
}

/** The item id of a sorted-set member (the inverse of `memberOf`). */
export function itemOf(member: string): string {
  return member.startsWith('\u0000\u0000') ? member.slice(1) : member;
}
