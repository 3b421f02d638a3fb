import { toInterestStreamError } from '../../domain/errors.js';
import { RedisKeys } from '../../core/names.js';
import { formatWatermark, parseWatermark } from '../../core/user-state-codec.js';
import type { EraseMarker, Erasures, ErasureStatus } from '../../domain/ports/index.js';
import { type RedisClient, defineScripts } from './redis-client.js';
import { keysByPrefix } from './redis-keyspace.js';
import type { EraseMarkersMirror } from '../vector-store/vector-store-erase-markers.js';

/**
 * Lua: is offset string a after b? Offsets are decimal strings up to 2^63, beyond a Lua double's
 * exact range, so they compare by length, then as text.
 */
export const LUA_OFFSET_AFTER = `
local function after(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end
`;

/**
 * Keeps the later erasure: a marker on the same partition moves forward only; one on another
 * partition (the topic gained partitions) wins when its time is later.
 */
const MARK_SCRIPT = `${LUA_OFFSET_AFTER}
local cur = redis.call('HMGET', KEYS[1], 'w', 't')
if cur[1] then
  local cp, co = string.match(cur[1], '^(%d+):(%d+)$')
  local np, no = string.match(ARGV[1], '^(%d+):(%d+)$')
  if cp == np then
    if not after(no, co) then return 0 end
  elseif tonumber(ARGV[2]) <= tonumber(cur[2]) then
    return 0
  end
end
redis.call('HSET', KEYS[1], 'w', ARGV[1], 't', ARGV[2])
return 1
`;

/** Only an erasure someone asked for through the API has a record; completing drops the user id. */
const COMPLETE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSETNX', KEYS[1], 'foldedAt', ARGV[1])
if ARGV[2] ~= '' then
  redis.call('HSETNX', KEYS[1], 'completedAt', ARGV[2])
  redis.call('HDEL', KEYS[1], 'userId')
end
return 1
`;

interface ErasureCommands {
  isMarkErased(key: string, watermark: string, at: string): Promise<number>;
  isCompleteErasure(key: string, foldedAt: string, completedAt: string): Promise<number>;
}

/**
 * Erase markers and erasure records in Redis, both under the root prefix (shared by generations).
 * Every command touches one key, so all of it runs on Redis Cluster.
 */
export class RedisErasures implements Erasures {
  private readonly redis: RedisClient & ErasureCommands;

  constructor(
    redis: RedisClient,
    private readonly root: string,
    /** Life of an erasure record (config ERASURE_RECORD_TTL_MS); markers never expire. */
    private readonly ttlMs: number,
    /**
     * The markers' durable copy: written before Redis, and read for the users Redis has no marker
     * for (a marker found only there is put back into Redis). Without it, a Redis that lost its
     * data forgets who was erased.
     */
    private readonly mirror?: EraseMarkersMirror,
    /** Told of the markers found only in the mirror and put back into Redis (Redis had lost them). */
    private readonly onRestored?: (markers: readonly EraseMarker[]) => void,
  ) {
    this.redis = defineScripts<ErasureCommands>(redis, {
      isMarkErased: { keys: 1, lua: MARK_SCRIPT },
      isCompleteErasure: { keys: 1, lua: COMPLETE_SCRIPT },
    });
  }

  /** Opens the record of an erasure (pending); the user id stays in it only until it completes. */
  async request(erasureId: string, userId: string, at: number): Promise<void> {
    const key = RedisKeys.erasure(this.root, erasureId);
    await this.call(() => this.redis.multi().hset(key, 'userId', userId, 'requestedAt', String(at)).pexpire(key, this.ttlMs).exec());
  }

  /** Drops the record of an erasure whose ERASE could not be published (the caller retries with a new one). */
  async forget(erasureId: string): Promise<void> {
    await this.call(() => this.redis.del(RedisKeys.erasure(this.root, erasureId)));
  }

  /** Records that ingest folded the erasure's ERASE (first time only); nothing for an erasure without a record. */
  async folded(erasureId: string, at: number): Promise<void> {
    await this.call(() => this.redis.isCompleteErasure(RedisKeys.erasure(this.root, erasureId), String(at), ''));
  }

  /** Records that every store is purged. */
  async complete(erasureId: string, at: number): Promise<void> {
    await this.call(() => this.redis.isCompleteErasure(RedisKeys.erasure(this.root, erasureId), String(at), String(at)));
  }

  /** The erasure's status; undefined when unknown (never asked for, or expired). */
  async status(erasureId: string): Promise<ErasureStatus | undefined> {
    const h = await this.call(() => this.redis.hgetall(RedisKeys.erasure(this.root, erasureId)));
    if (h.requestedAt === undefined) return undefined;
    const num = (v: string | undefined) => (v === undefined ? null : Number(v));
    const completedAt = num(h.completedAt);
    return { erasureId, status: completedAt === null ? 'pending' : 'complete', requestedAt: Number(h.requestedAt), foldedAt: num(h.foldedAt), completedAt };
  }

  /** Sets (or moves forward) the user's erase marker: in the durable mirror first, so it is never behind Redis. */
  async mark(m: EraseMarker): Promise<void> {
    await this.mirror?.put([m]);
    await this.markInRedis(m);
  }

  /**
   * The users' erase markers, by user id; users never erased are absent. Users Redis has none for
   * are looked up in the mirror, and what it holds is put back into Redis.
   */
  async markers(userIds: readonly string[]): Promise<Map<string, EraseMarker>> {
    const out = await this.markersInRedis(userIds);
    const missing = userIds.filter((id) => !out.has(id));
    if (this.mirror === undefined || missing.length === 0) return out;
    const restored = [...(await this.mirror.get(missing)).values()];
    await Promise.all(restored.map((m) => this.markInRedis(m)));
    for (const m of restored) out.set(m.userId, m);
    if (restored.length > 0) this.onRestored?.(restored);
    return out;
  }

  /**
   * Gives the mirror every marker Redis holds that it may not (markers set before the mirror
   * existed), once: a flag under the root records that it was done. SCAN on every primary.
   * Returns how many markers were copied (0 when already done or without a mirror).
   */
  async syncMirror(): Promise<number> {
    const mirror = this.mirror;
    if (mirror === undefined) return 0;
    const flag = RedisKeys.eraseMarkersMirrored(this.root);
    if ((await this.call(() => this.redis.exists(flag))) === 1) return 0;
    const prefix = RedisKeys.eraseMarker(this.root, '').slice(0, -1); // "<root>:erased:{"
    const ids = (await this.call(() => keysByPrefix(this.redis, prefix))).map((k) => k.slice(prefix.length, -1));
    let copied = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const found = await this.markersInRedis(ids.slice(i, i + 500));
      await mirror.put([...found.values()]);
      copied += found.size;
    }
    await this.call(() => this.redis.set(flag, String(Date.now())));
    return copied;
  }

  private async markersInRedis(userIds: readonly string[]): Promise<Map<string, EraseMarker>> {
    const rows = await this.call(() => Promise.all(userIds.map((id) => this.redis.hmget(RedisKeys.eraseMarker(this.root, id), 'w', 't'))));
    const out = new Map<string, EraseMarker>();
    rows.forEach(([w, t], i) => {
      const watermark = w ? parseWatermark(w) : null;
      if (watermark !== null && t) out.set(userIds[i]!, { userId: userIds[i]!, watermark, at: Number(t) });
    });
    return out;
  }

  private async markInRedis(m: EraseMarker): Promise<void> {
    await this.call(() => this.redis.isMarkErased(RedisKeys.eraseMarker(this.root, m.userId), formatWatermark(m.watermark), String(m.at)));
  }

  private async call<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}
