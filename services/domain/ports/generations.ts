/**
 * What a generation is: the consumer group, Redis prefix and users collection it writes, the items
 * collection it reads, and where its replay started. Recorded when ingest first runs it.
 */
export interface GenerationInfo {
  readonly name: string;
  readonly createdAt: number;
  /** `earliest` or an ISO-8601 time. */
  readonly from: string;
  readonly consumerGroup: string;
  readonly redisPrefix: string;
  readonly usersCollection: string;
  readonly itemsCollection: string;
  readonly alpha: number;
  readonly beta: number;
}

/**
 * The generations ingest has run and the pointer to the active one, which the query service serves.
 * Activation switches every reader at once: each sees the old generation or the new one, never a mixture.
 */
export interface GenerationRegistry {
  /** Records a generation the first time it runs and returns it; a later run keeps (and gets back) the first description. */
  register(info: GenerationInfo): Promise<GenerationInfo>;
  /** The generation's description; undefined when it was never registered or was removed. */
  get(name: string): Promise<GenerationInfo | undefined>;
  /** Every registered generation, oldest (by createdAt) first. */
  list(): Promise<GenerationInfo[]>;
  /** The active generation's name, or null when none was ever activated. */
  active(): Promise<string | null>;
  /** Makes a registered generation the active one; NOT_FOUND for a name never registered (or removed). */
  activate(name: string): Promise<void>;
  /** Forgets a generation's description (the caller decides whether the active one may go). */
  remove(name: string): Promise<void>;
}
