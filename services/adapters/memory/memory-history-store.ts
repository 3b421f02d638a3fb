import { decodeSnapshot, encodeSnapshot } from '../../core/events.js';
import { InterestStreamError } from '../../domain/errors.js';
import type { HistoryStore, InterestSnapshot } from '../../domain/ports/index.js';
import type { Watermark } from '../../domain/types.js';
import { compareWatermark } from '../../domain/watermark.js';

/** A user's erase marker as the history store consults it: the position of their latest erasure. */
export type EraseMarkerLookup = (userId: string) => Watermark | undefined;

/** One kept snapshot: its window and its encoded form (the `interest-history` record). */
interface Entry {
  readonly window: number;
  readonly bytes: Buffer;
}

/**
 * The HistoryStore fake for unit tests: per user, the last `size` snapshots ordered by window,
 * kept encoded as the Redis adapter keeps them (so one comes back as a copy, validated the same
 * way), and refused when the user's erase marker covers them (same partition, not after it), as
 * the Redis adapter refuses them. Passes test/contracts/history-store.contract.ts alongside
 * RedisHistoryStore.
 */
export class InMemoryHistoryStore implements HistoryStore {
  private readonly users = new Map<string, Entry[]>();

  /** `size` is H (config HISTORY_SIZE); `eraseMarker` finds a user's erase marker (none: nobody was erased). */
  constructor(
    private readonly size: number,
    private readonly eraseMarker: EraseMarkerLookup = () => undefined,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new InterestStreamError('INVALID_INPUT', `history size must be a positive integer, got ${size}`);
  }

  async append(snapshot: InterestSnapshot): Promise<void> {
    if (!Number.isSafeInteger(snapshot.window) || snapshot.window < 0) {
      throw new InterestStreamError('INVALID_INPUT', `snapshot window must be a non-negative integer, got ${snapshot.window}`);
    }
    const entry = { window: snapshot.window, bytes: encodeSnapshot(snapshot) };
    const marker = this.eraseMarker(snapshot.userId);
    const at = { partition: snapshot.watermarkPartition, offset: snapshot.watermarkOffset };
    if (marker !== undefined && (compareWatermark(at, marker) ?? 1) <= 0) return;
    const kept = (this.users.get(snapshot.userId) ?? []).filter((e) => e.window !== entry.window);
    kept.push(entry);
    kept.sort((a, b) => a.window - b.window);
    this.users.set(snapshot.userId, kept.slice(-this.size));
  }

  async recent(userId: string, n: number): Promise<InterestSnapshot[]> {
    if (!Number.isInteger(n) || n < 0) throw new InterestStreamError('INVALID_INPUT', `n must be a non-negative integer, got ${n}`);
    if (n === 0) return [];
    return (this.users.get(userId) ?? []).slice(-n).map((e) => decodeSnapshot(e.bytes));
  }

  async delete(userId: string): Promise<number> {
    const removed = this.users.get(userId)?.length ?? 0;
    this.users.delete(userId);
    return removed;
  }
}
