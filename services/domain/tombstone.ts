import { compareWatermark, emptyUserState } from './fold.js';
import type { EraseMarker } from './ports/index.js';
import type { UserState } from './types.js';

/**
 * The state an erase marker stands for: the tombstone of a user erased at that position and time,
 * holding nothing else. `erasureId` is the ERASE's id, remembered so a redelivered ERASE is a duplicate.
 */
export function tombstoneOf(m: EraseMarker, erasureHash?: string): UserState {
  return { ...emptyUserState(m.userId), erased: true, watermark: m.watermark, lastEventAt: m.at, recentEventIds: erasureHash === undefined ? [] : [erasureHash] };
}

/**
 * Whether `candidate` replaces the erase marker `current` (none: it does): the later erasure wins —
 * on the same partition the later offset, across partitions (the topic gained partitions, or a
 * producer with another partitioner) the later event time. Redis applies the same rule in Lua
 * (redis-erasures.ts); the durable mirror and the in-memory fake apply it here.
 */
export function supersedes(candidate: EraseMarker, current: EraseMarker | undefined): boolean {
  if (current === undefined) return true;
  if (candidate.watermark.partition !== current.watermark.partition) return candidate.at > current.at;
  return compareWatermark(candidate.watermark, current.watermark) === 1;
}
