import { historySnapshotKeys } from '../core/names.js';
import { eventIdHash } from '../domain/event-id.js';
import type { UserPurge, VectorStore } from '../domain/ports/index.js';
import type { Watermark } from '../domain/types.js';
import { tombstoneOf, type RedisErasures } from '../adapters/redis/redis-erasures.js';
import { USER_VERSION, toUserPoint } from '../core/user-record.js';

/** One ERASE event a batch folded (applied, or already covered by the query service's purge). */
export interface FoldedErase {
  /** The ERASE's event id: the erasure id when it came through the API. */
  readonly erasureId: string;
  readonly userId: string;
  readonly watermark: Watermark;
  /** The ERASE's occurredAt. */
  readonly at: number;
}

export interface ErasureFinisherDeps {
  readonly erasures: RedisErasures;
  readonly purge: UserPurge;
  readonly vectors: VectorStore;
  readonly usersCollection: string;
  readonly generation: string;
  /** Snapshot keys per user in the history topic (HISTORY_SIZE). */
  readonly slots: number;
  /** Sends tombstones (null values) for these history-topic keys; resolves once the broker has them. */
  readonly tombstone: (keys: readonly string[]) => Promise<void>;
  readonly now?: () => number;
}

/**
 * What ingest does once a batch has folded a user's ERASE and written the tombstone to Redis
 * (docs/privacy.md): moves the erase marker forward, purges the generation (Redis keys, the
 * durable record) down to the tombstone again — whatever landed since the query service's purge —
 * tombstones every snapshot key of the user in the history topic and sends the user's erase
 * marker, then records the erasure as complete. Idempotent: a redelivered batch does it again.
 */
export class ErasureFinisher {
  constructor(private readonly deps: ErasureFinisherDeps) {}

  async finish(erases: readonly FoldedErase[]): Promise<void> {
    if (erases.length === 0) return;
    const now = this.deps.now ?? Date.now;
    const { erasures, vectors, usersCollection } = this.deps;
    await Promise.all(erases.map((e) => erasures.folded(e.erasureId, now())));
    // A batch may hold several erasures of one user: the last one stands for all of them.
    const latest = [...new Map(erases.map((e) => [e.userId, e])).values()];
    const tombstones = latest.map((e) => tombstoneOf(e, eventIdHash(e.erasureId)));
    await Promise.all([...latest.map((e) => erasures.mark(e)), ...tombstones.map((t) => this.deps.purge.purge(t))]);
    // One durable request for the batch's tombstones (a replay meets many erasures).
    const dimension = await vectors.collectionDimension(usersCollection);
    if (dimension !== undefined) await vectors.upsertIfNewer(usersCollection, tombstones.map((t) => toUserPoint(t, dimension)), USER_VERSION);
    await this.deps.tombstone(latest.flatMap((e) => [...historySnapshotKeys(e.userId, this.deps.generation, this.deps.slots), e.userId]));
    await Promise.all(erases.map((e) => erasures.complete(e.erasureId, now())));
  }
}
