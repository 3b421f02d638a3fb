/**
 * `DirtyUsers` is the port ingest feeds and the snapshotter reads: after a user's state is written
 * ingest marks the user, so a snapshot run visits only users that changed instead of scanning everyone.
 */
import type { Watermark } from '../types.js';

/** A user whose state was written, at the watermark it was written with. */
export interface DirtyMark {
  readonly userId: string;
  readonly watermark: Watermark | null;
}

/** One entry of a dirty shard: the user and the mark's value as read (for the conditional clear). */
export interface DirtyEntry {
  readonly userId: string;
  readonly mark: string;
}

/** Users whose state changed since their last snapshot, split into shards the snapshotters lease. */
export interface DirtyUsers {
  readonly shards: number;
  /** The shard a user's marks go to; stable for a given shard count. */
  shardOf(userId: string): number;
  /** Marks users changed; a later mark of the same user replaces an earlier one. */
  mark(marks: readonly DirtyMark[]): Promise<void>;
  /** One page of a shard's entries; `cursor` '0' starts, a returned '0' means the shard was covered. */
  scan(shard: number, cursor: string, count: number): Promise<{ cursor: string; entries: DirtyEntry[] }>;
  /** Removes the entries whose mark is still the one read: a user marked again meanwhile stays. */
  clear(shard: number, entries: readonly DirtyEntry[]): Promise<number>;
}
