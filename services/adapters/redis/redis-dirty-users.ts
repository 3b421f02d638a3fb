import { InterestStreamError, toInterestStreamError } from '../../domain/errors.js';
import type { RedisKeys } from '../../core/names.js';
import { formatWatermark } from '../../core/user-state-codec.js';
import type { DirtyEntry, DirtyMark, DirtyUsers } from '../../domain/ports/index.js';
import { type RedisClient, defineScripts } from './redis-client.js';

/**
 * Dirty users as one Redis hash per shard, `<prefix>:dirty:{shard-N}`: field = userId, value = the
 * watermark ingest wrote. A hash (not a set) so that clearing can be conditional: the snapshotter
 * removes a user only if the value is still the one it read, so a change that lands while a
 * snapshot is being taken is never lost. Every command touches one key, so it runs on Redis Cluster.
 */
const CLEAR_SCRIPT = `
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    removed = removed + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return removed
`;

interface DirtyCommands {
  isClearDirty(key: string, ...fieldsAndValues: string[]): Promise<number>;
}

/** FNV-1a over the UTF-8 bytes: cheap, stable across processes and languages. */
export function shardOfUser(userId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(userId, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

export class RedisDirtyUsers implements DirtyUsers {
  private readonly redis: RedisClient & DirtyCommands;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    readonly shards: number,
  ) {
    if (!Number.isInteger(shards) || shards < 1) throw new InterestStreamError('INVALID_INPUT', `dirty shards must be a positive integer, got ${shards}`);
    this.redis = defineScripts<DirtyCommands>(redis, { isClearDirty: { keys: 1, lua: CLEAR_SCRIPT } });
  }

  shardOf(userId: string): number {
    return shardOfUser(userId, this.shards);
  }

  async mark(marks: readonly DirtyMark[]): Promise<void> {
    const byShard = new Map<number, string[]>();
    for (const m of marks) {
      const shard = this.shardOf(m.userId);
      const args = byShard.get(shard) ?? [];
      args.push(m.userId, formatWatermark(m.watermark));
      byShard.set(shard, args);
    }
    try {
      await Promise.all([...byShard].map(([shard, args]) => this.redis.hset(this.keys.dirtyUsers(shard), ...args)));
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }

  async scan(shard: number, cursor: string, count: number): Promise<{ cursor: string; entries: DirtyEntry[] }> {
    try {
      const [next, flat] = await this.redis.hscan(this.keys.dirtyUsers(shard), cursor, 'COUNT', count);
      const entries: DirtyEntry[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ userId: flat[i]!, mark: flat[i + 1]! });
      return { cursor: next, entries };
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }

  async clear(shard: number, entries: readonly DirtyEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    try {
      return await this.redis.isClearDirty(this.keys.dirtyUsers(shard), ...entries.flatMap((e) => [e.userId, e.mark]));
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}
