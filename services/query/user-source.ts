import type { UserStateStore, VectorStore } from '../domain/ports/index.js';
import type { UserState } from '../domain/types.js';
import { isInterestStreamError } from '../domain/errors.js';
import type { Logger } from '../core/logger.js';
import { usersCollection } from '../core/names.js';
import { fromUserPoint } from '../core/user-record.js';

/** Where a user's state was found. */
export type StateSource = 'redis' | 'durable' | 'none';

export interface LoadedUser {
  /** Null for an unknown user. An erased user comes back as its tombstone (`erased: true`). */
  readonly state: UserState | null;
  readonly source: StateSource;
}

/**
 * Reads a user's state from Redis first (fresh within milliseconds of ingest), else from the
 * durable users collection of the generation. The query service never writes user state: a durable
 * record may be older than a state waiting in ingest for its durable write, and putting it into
 * Redis would hand ingest an old state to fold onto. Ingest rehydrates Redis itself (its trust rule
 * compares Redis, its unflushed states and the durable store), so a miss here costs one durable
 * read per request until that user's next event.
 */
export class UserSource {
  constructor(
    private readonly redis: UserStateStore,
    private readonly vectors: VectorStore,
    private readonly generation: string,
    private readonly logger: Logger,
  ) {}

  get collection(): string {
    return usersCollection(this.generation);
  }

  async load(userId: string): Promise<LoadedUser> {
    let hot: UserState | undefined;
    try {
      hot = (await this.redis.getMany([userId])).get(userId);
    } catch (e) {
      // Redis unreachable for this user's slot (e.g. a Redis Cluster failover, seconds): answer from
      // the durable store, possibly a batch behind, rather than not at all. Nothing is written back.
      if (!isInterestStreamError(e) || !e.retryable) throw e;
      this.logger.warn({ err: e.message }, 'redis read failed; answering from the durable store');
      const durable = await this.loadDurable(userId);
      return { state: durable, source: durable === null ? 'none' : 'durable' };
    }
    if (hot !== undefined) return { state: hot, source: 'redis' };
    const durable = await this.loadDurable(userId);
    if (durable === null) return { state: null, source: 'none' };
    return { state: durable, source: 'durable' };
  }

  /** The durable record only (erasure reports whether one existed). */
  async loadDurable(userId: string): Promise<UserState | null> {
    try {
      const point = (await this.vectors.get(this.collection, [userId])).get(userId);
      return point === undefined ? null : fromUserPoint(point);
    } catch (e) {
      // Before ingest has written anything the collection may not exist: that is an unknown user.
      if (isInterestStreamError(e) && e.code === 'NOT_FOUND') return null;
      throw e;
    }
  }
}
