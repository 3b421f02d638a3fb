import { emptyUserState } from './fold.js';
import type { EraseMarker } from './ports/index.js';
import type { UserState } from './types.js';

/**
 * The state an erase marker stands for: the tombstone of a user erased at that position and time,
 * holding nothing else. `erasureId` is the ERASE's id, remembered so a redelivered ERASE is a duplicate.
 */
export function tombstoneOf(m: EraseMarker, erasureHash?: string): UserState {
  return { ...emptyUserState(m.userId), erased: true, watermark: m.watermark, lastEventAt: m.at, recentEventIds: erasureHash === undefined ? [] : [erasureHash] };
}
