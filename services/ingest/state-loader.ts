import type { UserStateStore, VectorStore } from '../domain/ports/index.js';
import type { UserState, Watermark } from '../domain/types.js';
import { compareWatermark, emptyUserState } from '../domain/fold.js';
import { decodeDurablePoints, type CorruptStateReport } from './stored-states.js';
import type { IngestMetrics } from './metrics.js';
import type { StateTrust } from './state-trust.js';

export interface StateSources {
  readonly states: UserStateStore;
  readonly store: VectorStore;
  readonly usersCollection: string;
  readonly metrics: IngestMetrics;
  /** States folded by this process but not yet durable (DurableWriter.get). */
  readonly unflushed?: (userIds: readonly string[]) => Map<string, UserState>;
  /** Absent, every Redis hit is trusted (the behaviour before the trust rule; unit tests). */
  readonly trust?: StateTrust;
  /** Undecodable durable states are reported here and the user starts afresh; absent, they throw. */
  readonly onCorruptState?: CorruptStateReport;
  /**
   * Tombstones from erase markers (docs/privacy.md). Asked for every user Redis cannot vouch for,
   * beside the durable read; used for those no store of this generation knows.
   */
  readonly markers?: (userIds: readonly string[]) => Promise<Map<string, UserState>>;
}

export interface LoadedStates {
  /** The state to fold onto, per user: the newest of Redis, the unflushed states and the durable store. */
  readonly states: Map<string, UserState>;
  /** The watermark Redis holds per user (null: none), which the compare-and-set must expect. */
  readonly expected: Map<string, Watermark | null>;
}

/**
 * Loads the users of a batch. A trusted Redis state is used as it is (no other I/O). Any other
 * user — missing from Redis, or present but not trusted — is also looked up among the states
 * waiting for their durable write and in the durable store, and the newest by watermark wins.
 * When that is not Redis's, the caller writes it back into Redis even if the batch changes nothing.
 */
export async function loadUserStates(src: StateSources, userIds: readonly string[]): Promise<LoadedStates> {
  const hot = await src.states.getMany(userIds);
  await src.trust?.observeNode();
  const expected = new Map<string, Watermark | null>(userIds.map((id) => [id, hot.get(id)?.watermark ?? null]));
  const states = new Map<string, UserState>();
  const doubtful: string[] = [];
  for (const id of userIds) {
    const h = hot.get(id);
    if (h !== undefined && (src.trust === undefined || src.trust.trusts(h))) states.set(id, h);
    else doubtful.push(id);
  }
  if (doubtful.length > 0) {
    const unflushed = src.unflushed?.(doubtful) ?? new Map<string, UserState>();
    // The erase markers are needed only for users no store knows, but are asked for beside the
    // durable read rather than after it: their durable copy is a second read (RedisErasures).
    const [points, markers] = await Promise.all([src.store.get(src.usersCollection, doubtful), src.markers?.(doubtful)]);
    const durable = decodeDurablePoints(points, src.onCorruptState);
    let rehydrated = 0;
    const unknown: string[] = [];
    for (const id of doubtful) {
      const fromStore = durable.get(id);
      const best = newest([hot.get(id), unflushed.get(id), fromStore]);
      if (best !== undefined && best === fromStore) rehydrated++;
      if (best === undefined) unknown.push(id);
      states.set(id, best ?? emptyUserState(id));
    }
    // A user this generation has never seen may have been erased before it began (a replay): they
    // start as their tombstone, so the events before the erasure are stale and never fold.
    for (const id of unknown) {
      const tombstone = markers?.get(id);
      if (tombstone !== undefined) states.set(id, tombstone);
    }
    src.metrics.untrustedStates.inc(doubtful.filter((id) => hot.has(id)).length);
    src.metrics.rehydrated.inc(rehydrated);
  }
  return { states, expected };
}

/**
 * The candidate with the latest watermark. Candidates on different partitions cannot be ordered by
 * offset (the topic gained partitions): the earlier one in the list (Redis first) is kept, and the
 * event-id window protects against double counting as before.
 */
export function newest(candidates: ReadonlyArray<UserState | undefined>): UserState | undefined {
  let best: UserState | undefined;
  for (const c of candidates) {
    if (c === undefined) continue;
    if (best === undefined || (c.watermark !== null && compareWatermark(c.watermark, best.watermark) === 1)) best = c;
  }
  return best;
}
