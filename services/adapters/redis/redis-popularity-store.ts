import type { PopularityIncrement, PopularityStore } from '../../domain/ports/index.js';
import { InterestStreamError, toInterestStreamError } from '../../domain/errors.js';
import type { RedisKeys } from '../../core/names.js';
import { FORGET_BELOW, clampViewTime, coalesce, decayedScore, parseStoredScore, rankByScore } from '../../domain/popularity-math.js';
import { type RedisClient, defineScripts } from './redis-client.js';
import { fnv1a32 } from '../../domain/hash.js';

/** The pure rules the adapter applies, where its importers (and older tests) found them. */
export { coalesce, FORGET_BELOW } from '../../domain/popularity-math.js';

/**
 * Time-decayed view counts, spread over `shards` sorted sets per generation (`RedisKeys.popularShard(i)`,
 * each in its own cluster slot) and merged at read.
 *
 * A view of weight w at time t adds `w · 2^((t − epoch0) / halfLife)` to its item's score, so a
 * score never has to be rewritten as time passes: the count as of `now` is
 * `score · 2^(−(now − epoch0) / halfLife)`, and every item decays by the same factor, which keeps
 * the ranking exact. `epoch0` lives in the same sorted set as a reserved member (a NUL-prefixed
 * name no item id can take: `memberOf` escapes ids that start with NUL) whose score is −epoch0:
 * one key per shard, so the Lua below stays single-slot on Redis Cluster, and the negative score keeps it below every real item.
 *
 * Float overflow: the multiplier doubles every half-life and a double overflows past 2^1024. When
 * a write would push the exponent beyond `rescaleExponent` (default 512 half-lives, far below the
 * limit, with room for large weights), the script moves epoch0 forward by k whole half-lives and
 * multiplies every score by 2^−k in one atomic step — the counts as of any time are unchanged.
 * Scores that fall below one millionth of a view then are dropped: those items are forgotten.
 */
export const EPOCH_MEMBER = '\u0000epoch0';

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
  /** Sorted sets the counts are spread over (config POPULAR_SHARDS). Default 8. */
  readonly shards?: number;
  /** How long `top` reuses the shards it read (config POPULAR_CACHE_MS; the query process). Default 0. */
  readonly cacheMs?: number;
}

/** One shard's rows as read: raw scores and the shard's own epoch0. */
export interface ShardRows {
  readonly epoch0: number;
  readonly rows: ReadonlyArray<readonly [string, number]>;
}

export class RedisPopularityStore implements PopularityStore {
  private readonly redis: RedisClient & PopularityCommands;
  private readonly halfLifeMs: number;
  private readonly rescaleExponent: number;
  private readonly futureToleranceMs: number;
  private readonly shards: number;
  private readonly cacheMs: number;
  private cached: { at: number; depth: number; shards: Promise<ShardRows[]> } | undefined;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    options: RedisPopularityStoreOptions,
  ) {
    if (!(options.halfLifeMs > 0)) throw new InterestStreamError('INVALID_INPUT', `halfLifeMs must be above 0, got ${options.halfLifeMs}`);
    this.halfLifeMs = options.halfLifeMs;
    this.rescaleExponent = options.rescaleExponent ?? 512;
    this.futureToleranceMs = options.futureToleranceMs ?? 300_000;
    this.shards = options.shards ?? 8;
    this.cacheMs = options.cacheMs ?? 0;
    if (!Number.isInteger(this.shards) || this.shards < 1) throw new InterestStreamError('INVALID_INPUT', `shards must be a positive integer, got ${this.shards}`);
    this.redis = defineScripts<PopularityCommands>(redis, { isRecordPopularity: { keys: 1, lua: RECORD_SCRIPT } });
  }

  async record(increments: readonly PopularityIncrement[], now: number = Date.now()): Promise<void> {
    if (increments.length === 0) return;
    const byShard = new Map<number, Array<string | number>>();
    const clamped = increments.map((inc) => ({ ...inc, at: clampViewTime(inc.at, now, this.futureToleranceMs) }));
    for (const inc of coalesce(clamped, this.halfLifeMs)) {
      const shard = popularityShard(inc.itemId, this.shards);
      let args = byShard.get(shard);
      if (args === undefined) byShard.set(shard, (args = [EPOCH_MEMBER, this.halfLifeMs, this.rescaleExponent, FORGET_BELOW]));
      args.push(memberOf(inc.itemId), inc.weight, inc.at);
    }
    try {
      // One single-key script per shard: each is atomic in its own slot.
      await Promise.all([...byShard].map(([shard, args]) => this.redis.isRecordPopularity(this.keys.popularShard(shard), ...args)));
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }

  async top(limit: number, options: { excludeIds?: readonly string[]; now?: number } = {}): Promise<Array<{ itemId: string; score: number }>> {
    if (!Number.isInteger(limit) || limit < 0) throw new InterestStreamError('INVALID_INPUT', `limit must be a non-negative integer, got ${limit}`);
    if (limit === 0) return [];
    const excluded = new Set((options.excludeIds ?? []).map(memberOf));
    const now = options.now ?? Date.now();
    // Fetch enough from every shard that `limit` remain after dropping excluded ids.
    const shards = await this.readShards(limit + excluded.size);
    const merged = new Map<string, number>();
    const newestEpoch = Math.max(...shards.filter((sh) => sh.rows.length > 0).map((sh) => sh.epoch0));
    for (const { epoch0, rows } of shards) {
      // A write to this shard as recent as the newest shard's would have rescaled it (the script)
      // and forgotten what had decayed below FORGET_BELOW: a shard no recent view reached forgets here.
      const stale = (newestEpoch - epoch0) / this.halfLifeMs > this.rescaleExponent;
      // An item lives in one shard; after POPULAR_SHARDS changed, its old count adds to its new one.
      for (const [member, raw] of rows) {
        if (excluded.has(member)) continue;
        if (stale && decayedScore(raw, epoch0, newestEpoch, this.halfLifeMs) < FORGET_BELOW) continue;
        merged.set(member, Math.min(Number.MAX_VALUE, (merged.get(member) ?? 0) + decayedScore(raw, epoch0, now, this.halfLifeMs)));
      }
    }
    const ranked = [...merged].map(([member, score]) => ({ itemId: itemOf(member), score }));
    return rankByScore(ranked).slice(0, limit);
  }

  async scores(itemIds: readonly string[], now: number = Date.now()): Promise<number[]> {
    if (itemIds.length === 0) return [];
    const byShard = new Map<number, number[]>();
    itemIds.forEach((id, i) => {
      const shard = popularityShard(id, this.shards);
      byShard.set(shard, [...(byShard.get(shard) ?? []), i]);
    });
    const out = itemIds.map(() => 0);
    try {
      await Promise.all([...byShard].map(async ([shard, positions]) => {
        const key = this.keys.popularShard(shard);
        const members = positions.map((i) => memberOf(itemIds[i]!));
        const res = await this.redis.multi().zscore(key, EPOCH_MEMBER).zmscore(key, ...members).exec();
        const epochScore = res?.[0]?.[1] as string | null | undefined;
        if (epochScore === null || epochScore === undefined) return;
        const raw = (res?.[1]?.[1] as Array<string | null> | undefined) ?? [];
        positions.forEach((pos, j) => {
          out[pos] = decayedScore(parseStoredScore(raw[j] ?? undefined), -parseStoredScore(epochScore), now, this.halfLifeMs);
        });
      }));
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
    return out;
  }

  /** The top `depth` rows of every shard, from the brief cache when it is fresh and deep enough. */
  private readShards(depth: number): Promise<ShardRows[]> {
    const c = this.cached;
    if (c && c.depth >= depth && Date.now() - c.at < this.cacheMs) return c.shards;
    const read = Promise.all(Array.from({ length: this.shards }, (_, i) => this.readShard(this.keys.popularShard(i), depth)));
    if (this.cacheMs === 0) return read;
    // With a cache, a failed read (a Redis Cluster failover) serves the last good one, however old.
    const previous = c?.depth !== undefined && c.depth >= depth ? c : undefined;
    const shards = previous ? read.catch(() => previous.shards) : read;
    const entry = { at: Date.now(), depth, shards };
    this.cached = entry;
    read.catch(() => {
      if (this.cached === entry) this.cached = previous;
    });
    return shards;
  }

  private async readShard(key: string, depth: number): Promise<ShardRows> {
    let res: Array<[Error | null, unknown]> | null;
    try {
      res = await this.redis.multi().zscore(key, EPOCH_MEMBER).zrevrange(key, 0, depth, 'WITHSCORES').exec();
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
    const epochScore = res?.[0]?.[1] as string | null | undefined;
    if (epochScore === null || epochScore === undefined) return { epoch0: 0, rows: [] };
    return { ...shardRows((res?.[1]?.[1] as string[] | undefined) ?? []), epoch0: -parseStoredScore(epochScore) };
  }

  async clear(): Promise<void> {
    try {
      this.cached = undefined;
      await Promise.all(Array.from({ length: this.shards }, (_, i) => this.redis.del(this.keys.popularShard(i))));
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}

/** Rows of a flat ZRANGE … WITHSCORES reply; epoch0 from the epoch member when the reply holds it (else 0). */
export function shardRows(flat: readonly string[]): ShardRows {
  let epoch0 = 0;
  const rows: Array<readonly [string, number]> = [];
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === EPOCH_MEMBER) epoch0 = -parseStoredScore(flat[i + 1]);
    else rows.push([flat[i]!, parseStoredScore(flat[i + 1])]);
  }
  return { epoch0, rows };
}

/** The shard an item's count lives in (FNV-1a of its id): fixed for a given shard count. */
export function popularityShard(itemId: string, shards: number): number {
  return (fnv1a32(itemId) >>> 0) % shards;
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
