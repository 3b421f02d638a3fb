import type { UserState, Watermark } from '../domain/types.js';
import { formatWatermark } from '../core/user-state-codec.js';

/** Users whose trust is remembered; beyond it the least recently used cost one durable read again. */
export const TRUSTED_USERS_CAP = 200_000;

/**
 * When ingest may take a user's Redis state as it is (docs/design.md, "When a Redis state is
 * trusted"): only when this process wrote or verified exactly that state (same watermark) since
 * its current view of the Redis node began — no restart, no failover (the node identity), no
 * rebalance of its partitions. Anything else (a restart from an older AOF or RDB, an asynchronous
 * replica promoted, old keys restored, another consumer's writes) is compared with the durable
 * store and the newer one wins.
 */
export class StateTrust {
  private node: string | undefined;
  private readonly verified = new Map<string, string>();

  constructor(
    private readonly identity: () => Promise<string>,
    private readonly cap = TRUSTED_USERS_CAP,
  ) {}

  /**
   * Checks the node identity; call it after reading states: a restart before the read is then seen,
   * and one after it only makes the next compare-and-set fail and re-read.
   */
  async observeNode(): Promise<void> {
    const now = await this.identity();
    if (now !== this.node) this.forgetAll();
    this.node = now;
  }

  trusts(state: UserState): boolean {
    return state.watermark !== null && this.verified.get(state.userId) === formatWatermark(state.watermark);
  }

  /** States now in Redis because this process wrote them or checked them against the durable store. */
  remember(states: Iterable<UserState>): void {
    for (const s of states) {
      if (s.watermark === null) continue;
      this.verified.delete(s.userId);
      this.verified.set(s.userId, formatWatermark(s.watermark));
      if (this.verified.size > this.cap) this.verified.delete(this.verified.keys().next().value!);
    }
  }

  forgetAll(): void {
    this.verified.clear();
  }
}

export function sameWatermark(a: Watermark | null, b: Watermark | null): boolean {
  return formatWatermark(a) === formatWatermark(b);
}
