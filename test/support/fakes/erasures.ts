import { InterestStreamError } from '../../../services/domain/errors.js';
import { compareWatermark } from '../../../services/domain/fold.js';
import type { EraseMarker, ErasurePublisher, Erasures, ErasureStatus, HistoryStore, PurgeOutcome, UserPurge, UserStateStore } from '../../../services/domain/ports/index.js';
import type { InteractionEvent, UserState, Watermark } from '../../../services/domain/types.js';
import { supersedes } from '../../../services/domain/tombstone.js';

/**
 * Erasure records and erase markers in maps, with RedisErasures' rules (a marker moves forward only on
 * its partition; `complete` drops the user id).
 */
export class MemoryErasures implements Erasures {
  readonly records = new Map<string, { userId?: string; requestedAt: number; foldedAt?: number; completedAt?: number }>();
  readonly marks = new Map<string, EraseMarker>();

  async request(erasureId: string, userId: string, at: number): Promise<void> {
    this.records.set(erasureId, { userId, requestedAt: at });
  }

  async forget(erasureId: string): Promise<void> {
    this.records.delete(erasureId);
  }

  async folded(erasureId: string, at: number): Promise<void> {
    const r = this.records.get(erasureId);
    if (r) r.foldedAt ??= at;
  }

  async complete(erasureId: string, at: number): Promise<void> {
    const r = this.records.get(erasureId);
    if (!r) return;
    r.foldedAt ??= at;
    r.completedAt ??= at;
    delete r.userId;
  }

  async status(erasureId: string): Promise<ErasureStatus | undefined> {
    const r = this.records.get(erasureId);
    if (!r) return undefined;
    return { erasureId, status: r.completedAt === undefined ? 'pending' : 'complete', requestedAt: r.requestedAt, foldedAt: r.foldedAt ?? null, completedAt: r.completedAt ?? null };
  }

  async mark(m: EraseMarker): Promise<void> {
    if (supersedes(m, this.marks.get(m.userId))) this.marks.set(m.userId, m);
  }

  async markers(userIds: readonly string[]): Promise<Map<string, EraseMarker>> {
    return new Map(userIds.flatMap((id) => (this.marks.has(id) ? [[id, this.marks.get(id)!] as const] : [])));
  }
}

/**
 * UserPurge over the other ports: replaces the user's state by the tombstone unless the store holds
 * the same or a later position on its partition, and forgets the user's history.
 */
export class MemoryUserPurge implements UserPurge {
  readonly purged: string[] = [];

  constructor(
    private readonly states: UserStateStore,
    private readonly history: HistoryStore,
  ) {}

  async purge(tombstone: UserState): Promise<PurgeOutcome> {
    this.purged.push(tombstone.userId);
    const cur = (await this.states.getMany([tombstone.userId])).get(tombstone.userId);
    const ahead = cur?.watermark != null && cur.watermark.partition === tombstone.watermark!.partition && (compareWatermark(cur.watermark, tombstone.watermark) ?? -1) >= 0;
    if (!ahead) await this.states.putMany([tombstone]);
    return { hadState: cur !== undefined, historySnapshots: await this.history.delete(tombstone.userId) };
  }
}

/** Publishes ERASEs at increasing offsets of partition 0, or fails with `failWith`. */
export class RecordingPublisher implements ErasurePublisher {
  readonly published: InteractionEvent[] = [];
  failWith: Error | undefined;
  private offset = 100;

  async publishAt(event: InteractionEvent): Promise<{ event: InteractionEvent; watermark: Watermark }> {
    if (this.failWith) throw this.failWith;
    this.published.push(event);
    return { event, watermark: { partition: 0, offset: String(this.offset++) } };
  }
}

export const brokerDown = (): InterestStreamError => new InterestStreamError('BROKER_UNAVAILABLE', 'broker unreachable');
