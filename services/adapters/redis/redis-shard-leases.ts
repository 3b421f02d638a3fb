import { toInterestStreamError } from '../../domain/errors.js';
import type { RedisKeys } from '../../core/names.js';
import type { ShardLeases } from '../../domain/ports/index.js';
import { type RedisClient, defineScripts } from './redis-client.js';

/**
 * Shard leases: `SET lease token NX PX` gives one instance a shard; it renews while it works and
 * gives it back when done. The lease only splits the work — correctness never depends on it (a
 * paused holder may outlive its lease): per-user claims stop double emission and the shard's
 * transactional id fences a stale holder's Kafka writes.
 */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

/** Records the shard's window as complete, only while the lease is still ours (both keys share a slot). */
const FINISH_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local done = tonumber(redis.call('GET', KEYS[2]) or '-1')
if tonumber(ARGV[2]) > done then redis.call('SET', KEYS[2], ARGV[2]) end
return 1
`;

interface LeaseCommands {
  isRenewLease(key: string, token: string, ms: number): Promise<number>;
  isReleaseLease(key: string, token: string): Promise<number>;
  isFinishShard(leaseKey: string, doneKey: string, token: string, window: string): Promise<number>;
}

export class RedisShardLeases implements ShardLeases {
  private readonly redis: RedisClient & LeaseCommands;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    /** This instance's token: unique per process, so a lease names its holder. */
    readonly token: string,
    private readonly leaseMs: number,
  ) {
    this.redis = defineScripts<LeaseCommands>(redis, {
      isRenewLease: { keys: 1, lua: RENEW_SCRIPT },
      isReleaseLease: { keys: 1, lua: RELEASE_SCRIPT },
      isFinishShard: { keys: 2, lua: FINISH_SCRIPT },
    });
  }

  /** The last completed window of every shard (-1 when none yet). */
  async doneWindows(shards: number): Promise<number[]> {
    const values = await this.guard(() => Promise.all(Array.from({ length: shards }, (_, s) => this.redis.get(this.keys.snapshotDone(s)))));
    return values.map((v) => (v === null ? -1 : Number(v)));
  }

  async acquire(shard: number): Promise<boolean> {
    return (await this.guard(() => this.redis.set(this.keys.snapshotLease(shard), this.token, 'PX', this.leaseMs, 'NX'))) === 'OK';
  }

  /** False when the lease was lost (expired and maybe taken): the caller must stop working on the shard. */
  async renew(shard: number): Promise<boolean> {
    return (await this.guard(() => this.redis.isRenewLease(this.keys.snapshotLease(shard), this.token, this.leaseMs))) === 1;
  }

  async release(shard: number): Promise<void> {
    await this.guard(() => this.redis.isReleaseLease(this.keys.snapshotLease(shard), this.token));
  }

  /** Marks `window` complete for the shard; false when the lease was lost first. */
  async finish(shard: number, window: number): Promise<boolean> {
    return (await this.guard(() => this.redis.isFinishShard(this.keys.snapshotLease(shard), this.keys.snapshotDone(shard), this.token, String(window)))) === 1;
  }

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}
