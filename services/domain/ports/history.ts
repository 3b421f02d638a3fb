import type { InterestSnapshot } from '../types.js';

export type { InterestSnapshot } from '../types.js';

/** A user's recent interest snapshots (the `trend` strategy reads them; the snapshotter's history fold writes them). */
export interface HistoryStore {
  /**
   * Keeps the snapshot among the user's last H (by window). Idempotent per (userId, window): a
   * redelivered snapshot replaces the one of the same window instead of adding a second. A snapshot
   * the user's erase marker covers (same partition, not after the erasure) is dropped, so a lagging
   * fold or a rebuild never brings back what an erasure removed. Rejects a window that is not a
   * non-negative integer (INVALID_INPUT) and an invalid snapshot (INVALID_EVENT).
   */
  append(snapshot: InterestSnapshot): Promise<void>;
  /** The user's newest `n` snapshots, oldest first; empty for an unknown user; `n` a non-negative integer. */
  recent(userId: string, n: number): Promise<InterestSnapshot[]>;
  /** Forgets the user's history; resolves to how many snapshots were removed. */
  delete(userId: string): Promise<number>;
}
