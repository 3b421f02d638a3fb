/**
 * Every topic, Redis key and collection name comes from here, so that a generation (see
 * docs/design.md, "Generations") can change them all at once.
 */

export const DEFAULT_TOPICS = {
  interactions: 'interactions',
  items: 'items',
  history: 'interest-history',
} as const;

export function dlqTopic(topic: string): string {
  return `${topic}.dlq`;
}

export function consumerGroupId(base: string, generation: string): string {
  return `${base}.${generation}`;
}

/** The history fold's consumer group: one per generation, like ingest's. */
export function historyFoldGroupId(base: string, generation: string): string {
  return `${base}-history.${generation}`;
}

/**
 * The Kafka transactional id of one snapshotter shard. Whoever takes the shard's lease opens a
 * producer with it, which fences the previous holder (a crashed or paused instance).
 */
export function snapshotTransactionalId(root: string, generation: string, shard: number): string {
  return `${root}.${generation}.snapshotter.shard-${shard}`;
}

export const ITEMS_COLLECTION = 'items';

/** The generation registry and active pointer, kept durably beside Redis (vector-store-generations.ts). */
export const GENERATIONS_COLLECTION = 'generations';

/** The erase markers, kept durably beside Redis (vector-store-erase-markers.ts); shared by generations. */
export const ERASE_MARKERS_COLLECTION = 'erase_markers';

/**
 * The history-topic key of a user's snapshot of `window`: one of `slots` keys per user and
 * generation (`<userId>{<generation>:<window mod slots>}`; ids never contain braces). The topic is
 * compacted, so at most `slots` snapshots per user and generation stay, and an erasure removes them
 * all by sending a tombstone (null value) for each of these keys (docs/privacy.md).
 */
export function historySnapshotKey(userId: string, generation: string, window: number, slots: number): string {
  return `${userId}{${generation}:${window % slots}}`;
}

/** Every snapshot key a user can have in a generation (see historySnapshotKey). */
export function historySnapshotKeys(userId: string, generation: string, slots: number): string[] {
  return Array.from({ length: slots }, (_, slot) => historySnapshotKey(userId, generation, slot, slots));
}

export function usersCollection(generation: string): string {
  return `users_${generation}`;
}

/** Redis key layout. Every key of one user carries the hash tag `{userId}` (Redis Cluster slot). */
export class RedisKeys {
  constructor(
    readonly root: string,
    readonly generation: string,
  ) {}

  get prefix(): string {
    return `${this.root}:${this.generation}`;
  }

  user(userId: string): string {
    return `${this.prefix}:user:{${userId}}`;
  }

  /** The one popularity key of versions before POPULAR_SHARDS; read once by ingest and folded into the shards. */
  popular(): string {
    return `${this.prefix}:popular`;
  }

  /** Live operator numbers (dead letters by reason, freshness per ingest process) for the /ui panel. */
  ops(): string {
    return `${this.prefix}:ops`;
  }

  /**
   * How far ingest has folded `topic`: field = partition, value = the next offset to fold (everything
   * below it is in Redis). One small hash per topic and generation, in a slot of its own.
   */
  ingestProgress(topic: string): string {
    return `${this.prefix}:progress:{progress-${topic}}`;
  }

  /**
   * A user's current crypto-shredding data key (services/domain/shred), named by pseudonym, shared by
   * every generation (they all read the same topic).
   */
  userKey(pseudonym: string): string {
    return `${this.root}:ukey:{${pseudonym}}`;
  }

  /**
   * One shard of the popularity counts: each in a slot of its own (hash tag `{pop-N}`), so on Redis
   * Cluster no single slot takes every view.
   */
  popularShard(shard: number): string {
    return `${this.prefix}:popular:{pop-${shard}}`;
  }

  /** The snapshotter's per-user claim (last snapshotted window, pending snapshot); in the user's slot. */
  snapshotClaim(userId: string): string {
    return `${this.prefix}:snapshot:{${userId}}`;
  }

  /**
   * The three keys of one dirty-users shard share the hash tag `{shard-N}`, so a Lua script may touch
   * them together on Redis Cluster; shards spread over slots.
   */
  dirtyUsers(shard: number): string {
    return `${this.prefix}:dirty:{shard-${shard}}`;
  }

  /** Which snapshotter instance holds the shard (SET NX PX). */
  snapshotLease(shard: number): string {
    return `${this.prefix}:snapshot-lease:{shard-${shard}}`;
  }

  /** The last window whose snapshot run of the shard completed. */
  snapshotDone(shard: number): string {
    return `${this.prefix}:snapshot-done:{shard-${shard}}`;
  }

  /** Points at the generation the query service reads; shared by all generations. */
  static activeGeneration(root: string): string {
    return `${root}:active-generation`;
  }

  /**
   * A user's erase marker (docs/privacy.md): the position and time of their latest erasure, kept for
   * every generation (a replay must keep them erased). In the user's slot, like every per-user key.
   */
  static eraseMarker(root: string, userId: string): string {
    return `${root}:erased:{${userId}}`;
  }

  /** Set once every marker Redis held was copied into the durable mirror (RedisErasures.syncMirror). */
  static eraseMarkersMirrored(root: string): string {
    return `${root}:erase-markers-mirrored`;
  }

  /** The status record of one erasure (`GET /v1/erasures/{id}`); its own slot, expires (ERASURE_RECORD_TTL_MS). */
  static erasure(root: string, erasureId: string): string {
    return `${root}:erasure:{${erasureId}}`;
  }

  /** Hash of every known generation (name -> JSON description); shared by all generations. */
  static generations(root: string): string {
    return `${root}:generations`;
  }
}

const GENERATION_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function isValidGeneration(name: string): boolean {
  return GENERATION_RE.test(name);
}

/**
 * The Redis key of one rate-limit bucket (`key:<id>`, `addr:<address>`, `authfail:<address>`).
 * Not per generation: a client's budget is the same whichever generation it reads. The hash tag
 * keeps each bucket in one Redis Cluster slot.
 */
export function rateLimitKey(redisPrefix: string, bucket: string): string {
  return `${redisPrefix}:ratelimit:{${bucket}}`;
}
