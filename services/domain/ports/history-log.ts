/** One keyed record of the history topic; a null value is a tombstone (compaction removes the key). */
export interface HistoryMessage {
  readonly key: string;
  readonly value: Buffer | null;
}

/**
 * The history log as the snapshotter writes it: one writer per leased shard, each `commit` one
 * all-or-nothing transaction (read_committed readers see all of its records or none). Opening a
 * shard's writer fences every earlier writer of that shard: a paused former lease holder can no
 * longer commit, and an open transaction a crashed holder left is aborted.
 */
export interface HistoryLog {
  openShard(shard: number): Promise<ShardHistoryWriter>;
}

export interface ShardHistoryWriter {
  /** Sends the records in one transaction; nothing is visible unless it resolves. Empty: no-op. */
  commit(messages: readonly HistoryMessage[]): Promise<void>;
  /** Releases the writer (idempotent). */
  close(): Promise<void>;
}
