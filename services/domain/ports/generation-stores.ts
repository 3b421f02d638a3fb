/**
 * The stores of one generation (docs/design.md, "Generations"): the query service reads whichever generation
 * the active pointer names, so its composition root hands it a factory of these by generation name
 * instead of the use cases building Redis adapters themselves.
 */
import type { HistoryStore } from './history.js';
import type { PopularityStore } from './popularity.js';
import type { UserStateStore } from './user-state.js';
import type { UserState } from '../types.js';

/** Ingest's progress per partition of a topic, for read-your-writes. */
export interface IngestProgress {
  /** Raises each partition's next-to-fold offset to the given one (never lowers it). */
  advance(topic: string, next: ReadonlyMap<number, bigint>): Promise<void>;
  /** Partition → the next offset ingest will fold; partitions it has not folded yet are absent. */
  read(topic: string): Promise<Map<number, bigint>>;
}

export interface PurgeOutcome {
  /** The hot store held a state of the user before. */
  readonly hadState: boolean;
  /** Snapshots removed from the user's history. */
  readonly historySnapshots: number;
}

/**
 * Purges one generation's hot keys of an erased user down to the tombstone (the erase marker of
 * docs/privacy.md): state replaced unless already at or past it, snapshot claim and history gone.
 * Idempotent.
 */
export interface UserPurge {
  purge(tombstone: UserState): Promise<PurgeOutcome>;
}

/** What one generation's data lives in. */
export interface GenerationStores {
  /** The items collection the generation was registered with. */
  readonly itemsCollection: string;
  readonly userStates: UserStateStore;
  readonly popularity: PopularityStore;
  readonly history: HistoryStore;
  readonly progress: IngestProgress;
  readonly purge: UserPurge;
}

/** Makes (or finds) the stores of the named generation. */
export type GenerationStoresFactory = (generation: string) => Promise<GenerationStores>;
