import { InterestStreamError } from '../domain/errors.js';
import { decodeSnapshot, encodeSnapshot } from './events.js';
import { historySnapshotKey } from './names.js';
import type { UserState } from '../domain/types.js';
import type { HistoryRecord } from '../domain/ports/index.js';

export type { HistoryRecord };

/** The event-time window of a moment. */
export function windowOf(at: number, intervalMs: number): number {
  return Math.floor(at / intervalMs);
}

/**
 * What a user's state gives for its event-time window: a snapshot, or nothing (no vector yet, or
 * erased: the erasure itself tombstones the user's history, docs/privacy.md). Everything in a snapshot follows from the state and the window — `takenAt` is the
 * window's last millisecond — so whoever emits it (ingest at a window boundary, a snapshotter for
 * an idle user, a replay in another generation) emits the same bytes.
 */
export function recordFor(state: UserState, window: number, generation: string, intervalMs: number): HistoryRecord | null {
  if (state.erased || state.vector === null || state.watermark === null) return null;
  const value = encodeSnapshot({
    userId: state.userId,
    vector: state.vector,
    takenAt: (window + 1) * intervalMs - 1,
    eventCount: state.eventCount,
    watermarkPartition: state.watermark.partition,
    watermarkOffset: state.watermark.offset,
    generation,
    window,
  });
  return { userId: state.userId, value };
}

/**
 * The Kafka message of a record: a snapshot is keyed by user, generation and window slot (names.ts
 * historySnapshotKey) so that the compacted topic keeps at most `slots` of them per user and an
 * erasure can tombstone every one; an erase marker is keyed by the user id.
 */
export function historyMessage(r: HistoryRecord, slots: number): { key: string; value: Buffer | null } {
  if (r.value === null) return { key: r.userId, value: null };
  const { generation, window } = decodeSnapshot(r.value);
  return { key: historySnapshotKey(r.userId, generation, window, slots), value: r.value };
}

/**
 * Records as kept in a pending claim in Redis: frames of [1 byte kind][4 bytes length BE][bytes],
 * so Lua can append a user's new record to one left over by a crashed run without decoding either.
 */
const SNAPSHOT = 1;
const ERASE = 0;

export function frameRecord(r: HistoryRecord): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(r.value === null ? ERASE : SNAPSHOT, 0);
  head.writeUInt32BE(r.value?.length ?? 0, 1);
  return r.value === null ? head : Buffer.concat([head, r.value]);
}

export function unframeRecords(userId: string, frames: Buffer): HistoryRecord[] {
  const out: HistoryRecord[] = [];
  let at = 0;
  while (at < frames.length) {
    if (at + 5 > frames.length) throw new InterestStreamError('DECODE_FAILED', `pending snapshot of ${userId}: truncated frame at byte ${at}`);
    const kind = frames.readUInt8(at);
    const length = frames.readUInt32BE(at + 1);
    const end = at + 5 + length;
    if (end > frames.length || (kind !== SNAPSHOT && kind !== ERASE)) {
      throw new InterestStreamError('DECODE_FAILED', `pending snapshot of ${userId}: bad frame at byte ${at}`);
    }
    out.push({ userId, value: kind === ERASE ? null : frames.subarray(at + 5, end) });
    at = end;
  }
  return out;
}
