import type { ShardLeases } from '../../domain/ports/index.js';

/**
 * What Redis is to RedisShardLeases, for the snapshotter instances of one unit test: the lease of
 * each shard (holder and expiry) and its last completed window, on a clock the test can move.
 */
export class InMemoryLeaseTable {
  readonly leases = new Map<number, { readonly token: string; readonly until: number }>();
  readonly done = new Map<number, number>();

  constructor(readonly clock: () => number = Date.now) {}

  /** The shard's holder, unless its lease has expired. */
  holder(shard: number): string | undefined {
    const lease = this.leases.get(shard);
    return lease !== undefined && lease.until > this.clock() ? lease.token : undefined;
  }
}

/**
 * The ShardLeases fake: one instance (`token`) over a shared InMemoryLeaseTable, with the Redis
 * adapter's rules — acquire only a free or expired shard, renew, release and finish only while still
 * the holder, the done window only moves up. Passes test/contracts/shard-leases.contract.ts
 * alongside RedisShardLeases.
 */
export class InMemoryShardLeases implements ShardLeases {
  constructor(
    private readonly table: InMemoryLeaseTable,
    readonly token: string,
    private readonly leaseMs: number,
  ) {}

  async doneWindows(shards: number): Promise<number[]> {
    return Array.from({ length: shards }, (_, s) => this.table.done.get(s) ?? -1);
  }

  async acquire(shard: number): Promise<boolean> {
    if (this.table.holder(shard) !== undefined) return false;
    this.hold(shard);
    return true;
  }

  async renew(shard: number): Promise<boolean> {
    if (this.table.holder(shard) !== this.token) return false;
    this.hold(shard);
    return true;
  }

  async release(shard: number): Promise<void> {
    if (this.table.holder(shard) === this.token) this.table.leases.delete(shard);
  }

  async finish(shard: number, window: number): Promise<boolean> {
    if (this.table.holder(shard) !== this.token) return false;
    this.table.done.set(shard, Math.max(window, this.table.done.get(shard) ?? -1));
    return true;
  }

  private hold(shard: number): void {
    this.table.leases.set(shard, { token: this.token, until: this.table.clock() + this.leaseMs });
  }
}
