/**
 * Shard leases: one snapshotter instance at a time works on a shard of dirty users. The lease only
 * splits the work; correctness never depends on it (a paused holder may outlive its lease).
 */
export interface ShardLeases {
  /** This instance's token: unique per process, so a lease names its holder. */
  readonly token: string;
  /** The last completed window of every shard (-1 when none yet). */
  doneWindows(shards: number): Promise<number[]>;
  acquire(shard: number): Promise<boolean>;
  /** False when the lease was lost (expired and maybe taken): the caller must stop working on the shard. */
  renew(shard: number): Promise<boolean>;
  release(shard: number): Promise<void>;
  /** Marks `window` complete for the shard; false when the lease was lost first. */
  finish(shard: number, window: number): Promise<boolean>;
}
