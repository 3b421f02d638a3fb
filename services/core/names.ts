/**
 * Every topic, Redis key and collection name comes from here, so that a generation (see
 * docs/architecture) can change them all at once.
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

export const ITEMS_COLLECTION = 'items';

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

  popular(): string {
    return `${this.prefix}:popular`;
  }

  /** Points at the generation the query service reads; shared by all generations. */
  static activeGeneration(root: string): string {
    return `${root}:active-generation`;
  }
}

const GENERATION_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function isValidGeneration(name: string): boolean {
  return GENERATION_RE.test(name);
}
