import { InterestStreamError, toInterestStreamError } from '../../domain/errors.js';
import { decodeSnapshot, encodeSnapshot } from '../../core/events.js';
import { RedisKeys } from '../../core/names.js';
import { LUA_OFFSET_AFTER } from './redis-erasures.js';
import type { HistoryStore, InterestSnapshot } from '../../domain/ports/index.js';
import { type RedisClient, defineScripts } from './redis-client.js';

/**
 * A user's last H interest snapshots in one Redis list `<prefix>:history:{userId}` (the user's hash
 * tag, so it shares a Cluster slot with the user's state), oldest window first. Each entry is
 * `<window> <Avro single-object snapshot>`: the window prefix lets the Lua script keep the list
 * ordered and idempotent per window without decoding Avro, and the Avro body is the same
 * self-describing record the `interest-history` topic carries, so older entries stay readable
 * after the schema evolves.
 */
const APPEND_SCRIPT = `${LUA_OFFSET_AFTER}
local key, w, entry, cap = KEYS[1], tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local erased = redis.call('HGET', KEYS[2], 'w')
if erased then
  local ep, eo = string.match(erased, '^(%d+):(%d+)$')
  if ep == ARGV[4] and not after(ARGV[5], eo) then return -1 end
end
local entries = redis.call('LRANGE', key, 0, -1)
local out, placed = {}, false
for _, e in ipairs(entries) do
  local ew = tonumber(string.match(e, '^(%d+) '))
  if not placed and ew >= w then
    out[#out + 1] = entry
    placed = true
    if ew ~= w then out[#out + 1] = e end
  else
    out[#out + 1] = e
  end
end
if not placed then out[#out + 1] = entry end
redis.call('DEL', key)
for i = math.max(1, #out - cap + 1), #out do redis.call('RPUSH', key, out[i]) end
return math.min(#out, cap)
`;

interface HistoryCommands {
  isAppendHistory(key: string, markerKey: string, window: string, entry: Buffer, cap: number, partition: string, offset: string): Promise<number>;
}

/** The list key of a user's history; carries the `{userId}` hash tag like every per-user key. */
export function historyKey(keys: RedisKeys, userId: string): string {
  return `${keys.prefix}:history:{${userId}}`;
}

export class RedisHistoryStore implements HistoryStore {
  private readonly redis: RedisClient & HistoryCommands;

  /** `size` is H, the snapshots kept per user (config HISTORY_SIZE). */
  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly size: number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new InterestStreamError('INVALID_INPUT', `history size must be a positive integer, got ${size}`);
    this.redis = defineScripts<HistoryCommands>(redis, { isAppendHistory: { keys: 2, lua: APPEND_SCRIPT } });
  }

  /**
   * Also refuses, atomically, a snapshot of a state the user's erase marker covers (same partition,
   * not after the erasure): a history fold that lags, or a rebuild from the topic, can never bring
   * back what an erasure removed (docs/privacy.md). The marker shares the user's slot.
   */
  async append(snapshot: InterestSnapshot): Promise<void> {
    if (!Number.isSafeInteger(snapshot.window) || snapshot.window < 0) {
      throw new InterestStreamError('INVALID_INPUT', `snapshot window must be a non-negative integer, got ${snapshot.window}`);
    }
    const entry = Buffer.concat([Buffer.from(`${snapshot.window} `), encodeSnapshot(snapshot)]);
    try {
      const marker = RedisKeys.eraseMarker(this.keys.root, snapshot.userId);
      await this.redis.isAppendHistory(historyKey(this.keys, snapshot.userId), marker, String(snapshot.window), entry, this.size, String(snapshot.watermarkPartition), snapshot.watermarkOffset);
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }

  async recent(userId: string, n: number): Promise<InterestSnapshot[]> {
    if (!Number.isInteger(n) || n < 0) throw new InterestStreamError('INVALID_INPUT', `n must be a non-negative integer, got ${n}`);
    if (n === 0) return [];
    let entries: Buffer[];
    try {
      entries = await this.redis.lrangeBuffer(historyKey(this.keys, userId), -n, -1);
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
    return entries.map((e) => decodeSnapshot(e.subarray(e.indexOf(0x20) + 1)));
  }

  async delete(userId: string): Promise<number> {
    const key = historyKey(this.keys, userId);
    try {
      const res = await this.redis.multi().llen(key).del(key).exec();
      return Number(res?.[0]?.[1] ?? 0);
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}
