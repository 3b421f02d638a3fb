/**
 * What a snapshot run sends to the history topic for one user: an `InterestSnapshot`. (A null value
 * is an erase marker: older pending claims may hold one; erasures now send their own, see
 * services/ingest/erasure-finisher.ts; encoding: services/core/history-records.ts.)
 */
export interface HistoryRecord {
  readonly userId: string;
  /** Avro single-object `InterestSnapshot`, or null for an erase marker. */
  readonly value: Buffer | null;
}

/** Where ingest sends the history records of window boundaries crossed inside a batch (services/ingest/history-boundaries.ts splitAtWindows). */
export interface HistoryEmitter {
  readonly intervalMs: number;
  readonly generation: string;
  /** The latest window each user already has a snapshot for (sent or pending), from the snapshotter's claims. */
  emitted(userIds: readonly string[]): Promise<Map<string, number>>;
  /** Sends the records, keyed by userId; resolves once the broker has them. */
  send(records: readonly HistoryRecord[]): Promise<void>;
}

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
