/**
 * Ingest's progress per partition, for read-your-writes (services/core/consistency-token.ts):
 * `RedisKeys.ingestProgress(topic)` holds, per partition, the next offset ingest will fold. Ingest
 * raises it after each batch's compare-and-set; a query holding a token waits until it passes the
 * token's offsets. One key per command, so it runs unchanged on Redis Cluster.
 */
import { toInterestStreamError } from '../../domain/errors.js';
import type { RedisKeys } from '../../core/names.js';
import type { IngestProgress } from '../../domain/ports/index.js';
import { type RedisClient, defineScripts } from './redis-client.js';
import { LUA_OFFSET_AFTER } from './redis-erasures.js';

// Only ever raises a partition's value: a replay after a rebalance, or a zombie consumer finishing
// an old batch, must not move it back (what was folded stays folded). Offsets compare as decimal
// strings (LUA_OFFSET_AFTER): past 2^53 a Lua double cannot tell neighbouring offsets apart.
const ADVANCE_SCRIPT = `${LUA_OFFSET_AFTER}
for i = 1, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current or after(ARGV[i + 1], current) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 0
`;

interface ProgressCommands {
  isAdvanceProgress(key: string, ...partitionsAndOffsets: string[]): Promise<number>;
}

export class RedisIngestProgress implements IngestProgress {
  private readonly redis: RedisClient & ProgressCommands;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.redis = defineScripts<ProgressCommands>(redis, { isAdvanceProgress: { keys: 1, lua: ADVANCE_SCRIPT } });
  }

  /** Raises each partition's next-to-fold offset to the given one (never lowers it). */
  async advance(topic: string, next: ReadonlyMap<number, bigint>): Promise<void> {
    if (next.size === 0) return;
    const args = [...next].flatMap(([p, o]) => [String(p), o.toString()]);
    try {
      await this.redis.isAdvanceProgress(this.keys.ingestProgress(topic), ...args);
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }

  /** Partition → the next offset ingest will fold; partitions it has not folded yet are absent. */
  async read(topic: string): Promise<Map<number, bigint>> {
    try {
      const raw = await this.redis.hgetall(this.keys.ingestProgress(topic));
      return new Map(Object.entries(raw).map(([p, o]) => [Number(p), BigInt(o)]));
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}
