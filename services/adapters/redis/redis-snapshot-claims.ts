import { toInterestStreamError } from '../../domain/errors.js';
import type { RedisKeys } from '../../core/names.js';
import type { Claim, SnapshotClaims } from '../../domain/ports/index.js';
import { type RedisClient, defineScripts } from './redis-client.js';

/**
 * Per-user snapshot claims, `<prefix>:snapshot:{userId}` (the user's hash tag, so the script may also
 * read the user's state hash on Redis Cluster). Fields:
 *   lw / lwm   last window snapshotted, and the state watermark that snapshot carried
 *   pw / pwm   pending window and watermark: claimed, maybe sent, not yet confirmed
 *   pr         the pending records, framed (core/history-records.ts), byte for byte what was (or will be) sent
 *   po         the instance that last took the pending claim
 *
 * The claim is atomic with a check that the state is still at the watermark the caller read, so the
 * snapshot sent is exactly the state claimed. A pending claim left by a crash is *resent as is*: the
 * topic then holds at worst a byte-identical copy of the same (user, window) record.
 */
const CLAIM_SCRIPT = `
local w = tonumber(ARGV[1])
local cur = redis.call('HGET', KEYS[1], 'w') or ''
if cur ~= ARGV[2] then return {'moved'} end
local s = redis.call('HMGET', KEYS[2], 'lw', 'lwm', 'pw', 'pwm', 'pr')
local lw = s[1] and tonumber(s[1]) or -1
local lwm = s[2] or ''
local carried = ''
if s[3] then
  local pw = tonumber(s[3])
  if pw >= w then
    if pw > w then return {'done'} end
    redis.call('HSET', KEYS[2], 'po', ARGV[3])
    return {'send', s[5], s[3], s[4]}
  end
  carried, lw, lwm = s[5], pw, s[4]
end
if lwm == cur and carried == '' then return {'unchanged'} end
if lw >= w then return {'done'} end
if lwm == cur then
  redis.call('HSET', KEYS[2], 'po', ARGV[3])
  return {'send', carried, s[3], s[4]}
end
local records = carried .. ARGV[4]
redis.call('HSET', KEYS[2], 'pw', ARGV[1], 'pwm', cur, 'pr', records, 'po', ARGV[3])
return {'send', records, ARGV[1], cur}
`;

const CONFIRM_SCRIPT = `
local s = redis.call('HMGET', KEYS[1], 'pw', 'pwm', 'po')
if s[1] ~= ARGV[2] or s[3] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'lw', s[1], 'lwm', s[2])
redis.call('HDEL', KEYS[1], 'pw', 'pwm', 'pr', 'po')
return 1
`;

interface ClaimCommands {
  isClaimSnapshotBuffer(userKey: string, claimKey: string, window: string, watermark: string, owner: string, frame: Buffer): Promise<Buffer[]>;
  isConfirmSnapshot(claimKey: string, owner: string, window: string): Promise<number>;
}

/** SnapshotClaims on Redis: two Lua scripts, each atomic with its check of the user's state. */
export class RedisSnapshotClaims implements SnapshotClaims {
  private readonly redis: RedisClient & ClaimCommands;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.redis = defineScripts<ClaimCommands>(redis, {
      isClaimSnapshot: { keys: 2, lua: CLAIM_SCRIPT },
      isConfirmSnapshot: { keys: 1, lua: CONFIRM_SCRIPT },
    });
  }

  /**
   * Claims (userId, window) for `owner` if the user's state is still at `watermark` and changed since
   * the last snapshot; `frame` is the framed record of that state.
   */
  async claim(userId: string, window: number, watermark: string, owner: string, frame: Buffer): Promise<Claim> {
    let reply: Buffer[];
    try {
      reply = await this.redis.isClaimSnapshotBuffer(this.keys.user(userId), this.keys.snapshotClaim(userId), String(window), watermark, owner, frame);
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
    const status = reply[0]!.toString();
    if (status === 'send') return { status, records: reply[1]!, window: Number(reply[2]!.toString()), watermark: reply[3]!.toString() };
    return { status: status as 'moved' | 'done' | 'unchanged' };
  }

  /** Marks the pending snapshot of `window` as sent, if `owner` still holds the claim. */
  async confirm(userId: string, owner: string, window: number): Promise<boolean> {
    try {
      return (await this.redis.isConfirmSnapshot(this.keys.snapshotClaim(userId), owner, String(window))) === 1;
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }

  /**
   * The latest window each user has a snapshot for, sent or pending (-1 when none): ingest skips
   * the window boundaries a snapshotter already covered.
   */
  async snapshotted(userIds: readonly string[]): Promise<Map<string, number>> {
    try {
      const rows = await Promise.all(userIds.map((id) => this.redis.hmget(this.keys.snapshotClaim(id), 'lw', 'pw')));
      return new Map(userIds.map((id, i) => [id, Math.max(...rows[i]!.map((v) => (v === null ? -1 : Number(v))))]));
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }

  /** The last window snapshotted for a user, -1 when none (operators and tests). */
  async lastWindow(userId: string): Promise<number> {
    const v = await this.redis.hget(this.keys.snapshotClaim(userId), 'lw');
    return v === null ? -1 : Number(v);
  }
}
