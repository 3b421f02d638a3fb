import { toInterestStreamError } from '../../domain/errors.js';
import type { RedisKeys } from '../../core/names.js';
import { encodeStateBody, formatWatermark } from '../../core/user-state-codec.js';
import type { UserState } from '../../domain/types.js';
import type { PurgeOutcome, UserPurge } from '../../domain/ports/index.js';
import { type RedisClient, defineScripts } from './redis-client.js';
import { LUA_OFFSET_AFTER } from './redis-erasures.js';
import { historyKey } from './redis-history-store.js';
import { shardOfUser } from './redis-dirty-users.js';

/**
 * Replaces the user's state by the tombstone unless Redis holds the same or a later position on
 * the tombstone's partition (ingest already folded the ERASE, or the user came back after it); then
 * deletes the user's snapshot claim (its pending field can hold a vector) and history list. All
 * three keys carry the user's hash tag: one slot, one atomic script.
 */
const PURGE_SCRIPT = `${LUA_OFFSET_AFTER}
local cur = redis.call('HGET', KEYS[1], 'w')
local replace = true
if cur then
  local cp, co = string.match(cur, '^(%d+):(%d+)$')
  local np, no = string.match(ARGV[1], '^(%d+):(%d+)$')
  if cp == np and not after(no, co) then replace = false end
end
if replace then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'w', ARGV[1], 's', ARGV[2])
end
local n = redis.call('LLEN', KEYS[3])
redis.call('DEL', KEYS[2], KEYS[3])
return {cur and 1 or 0, n}
`;

interface PurgeCommands {
  isPurgeUser(userKey: string, claimKey: string, historyKey: string, watermark: string, body: Buffer): Promise<[number, number]>;
}

/**
 * Purges one generation's Redis keys of an erased user down to the tombstone (the erase marker of
 * docs/privacy.md): the query service runs it when the erasure is asked for, ingest again once it
 * has folded the ERASE. Idempotent.
 */
export class RedisUserPurge implements UserPurge {
  private readonly redis: RedisClient & PurgeCommands;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly dirtyShards: number,
  ) {
    this.redis = defineScripts<PurgeCommands>(redis, { isPurgeUser: { keys: 3, lua: PURGE_SCRIPT } });
  }

  async purge(tombstone: UserState): Promise<PurgeOutcome> {
    const { userId } = tombstone;
    try {
      const [[had, n]] = await Promise.all([
        this.redis.isPurgeUser(this.keys.user(userId), this.keys.snapshotClaim(userId), historyKey(this.keys, userId), formatWatermark(tombstone.watermark), encodeStateBody(tombstone)),
        // The dirty mark lives in its shard's slot: a command of its own.
        this.redis.hdel(this.keys.dirtyUsers(shardOfUser(userId, this.dirtyShards)), userId),
      ]);
      return { hadState: had === 1, historySnapshots: Number(n) };
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}
