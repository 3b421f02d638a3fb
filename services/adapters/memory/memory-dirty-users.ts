import { formatWatermark } from '../../core/user-state-codec.js';
import { InterestStreamError } from '../../domain/errors.js';
import { shardOfUser } from '../../domain/hash.js';
import type { DirtyEntry, DirtyMark, DirtyUsers } from '../../domain/ports/index.js';

/** A cursor after `userId`: pages go in user-id order, so entries removed or added meanwhile never make a scan skip one. */
const AFTER = 'after:';

/**
 * The DirtyUsers fake for unit tests: one map per shard, user id → mark (the watermark text the
 * Redis adapter stores), the same shard function, and the same conditional clear. A scan pages in
 * user-id order, `count` entries a page (Redis may hand a small shard over in one page); like
 * HSCAN, it returns every entry present from the first page to the last. Passes
 * test/contracts/dirty-users.contract.ts alongside RedisDirtyUsers.
 */
export class InMemoryDirtyUsers implements DirtyUsers {
  private readonly marks = new Map<number, Map<string, string>>();

  constructor(readonly shards: number) {
    if (!Number.isInteger(shards) || shards < 1) throw new InterestStreamError('INVALID_INPUT', `dirty shards must be a positive integer, got ${shards}`);
  }

  shardOf(userId: string): number {
    return shardOfUser(userId, this.shards);
  }

  async mark(marks: readonly DirtyMark[]): Promise<void> {
    for (const m of marks) {
      const shard = this.shardOf(m.userId);
      const entries = this.marks.get(shard) ?? new Map<string, string>();
      entries.set(m.userId, formatWatermark(m.watermark));
      this.marks.set(shard, entries);
    }
  }

  async scan(shard: number, cursor: string, count: number): Promise<{ cursor: string; entries: DirtyEntry[] }> {
    const after = cursor.startsWith(AFTER) ? cursor.slice(AFTER.length) : undefined;
    const ids = [...(this.marks.get(shard)?.keys() ?? [])].filter((id) => after === undefined || id > after).sort();
    const page = ids.slice(0, Math.max(1, count));
    const entries = page.map((userId) => ({ userId, mark: this.marks.get(shard)!.get(userId)! }));
    return { cursor: page.length < ids.length ? `${AFTER}${page.at(-1)!}` : '0', entries };
  }

  async clear(shard: number, entries: readonly DirtyEntry[]): Promise<number> {
    const marks = this.marks.get(shard);
    let removed = 0;
    for (const e of entries) if (marks?.get(e.userId) === e.mark && marks.delete(e.userId)) removed++;
    return removed;
  }
}
