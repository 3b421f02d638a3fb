import type { VectorPoint, VectorStore } from '../domain/ports/index.js';
import type { UserState } from '../domain/types.js';
import { USER_VERSION } from '../core/user-record.js';

export interface DurableUsersTarget {
  readonly store: VectorStore;
  readonly usersCollection: string;
  readonly dimension: number;
  /** Called with the number of states the store kept a newer record for (a zombie's late write). */
  readonly onStale?: (count: number) => void;
}

/** States worth a durable record: a state with no watermark (every event of the user dead-lettered) has nothing worth keeping and no version to compare. */
export function hasVersion(state: UserState): boolean {
  return state.watermark !== null;
}

/**
 * Writes user points with the store's compare-and-set on the watermark, so a consumer that lost its
 * partitions (a long pause, a session timeout) can never put an older state over a newer one. A
 * stale write is dropped and counted, not an error: the newer state is already durable.
 */
export async function writeUserPoints(target: DurableUsersTarget, points: readonly VectorPoint[]): Promise<void> {
  if (points.length === 0) return;
  const { stale } = await target.store.upsertIfNewer(target.usersCollection, points, USER_VERSION);
  if (stale > 0) target.onStale?.(stale);
}
