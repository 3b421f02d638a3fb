import { InterestStreamError, toInterestStreamError } from '../../core/errors.js';
import { RedisKeys } from '../../core/names.js';
import type { RedisClient } from './redis-client.js';

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
 * The registry of generations and the pointer to the active one, in two Redis keys shared by all
 * generations. Activation is one SET of the pointer: every reader sees either the old generation or
 * the new one, never a mixture.
 */
export class RedisGenerationRegistry {
  private readonly registryKey: string;
  private readonly pointerKey: string;

  constructor(
    private readonly redis: RedisClient,
    root: string,
  ) {
    this.registryKey = RedisKeys.generations(root);
    this.pointerKey = RedisKeys.activeGeneration(root);
  }

  /** Records a generation the first time it runs; a later run keeps the first description. */
  async register(info: GenerationInfo): Promise<GenerationInfo> {
    return this.call(async () => {
      await this.redis.hsetnx(this.registryKey, info.name, JSON.stringify(info));
      return (await this.get(info.name)) ?? info;
    });
  }

  async get(name: string): Promise<GenerationInfo | undefined> {
    return this.call(async () => {
      const raw = await this.redis.hget(this.registryKey, name);
      return raw === null ? undefined : (JSON.parse(raw) as GenerationInfo);
    });
  }

  async list(): Promise<GenerationInfo[]> {
    return this.call(async () => {
      const all = await this.redis.hgetall(this.registryKey);
      return Object.values(all)
        .map((raw) => JSON.parse(raw) as GenerationInfo)
        .sort((a, b) => a.createdAt - b.createdAt);
    });
  }

  /** The active generation's name, or null when none was ever activated. */
  async active(): Promise<string | null> {
    return this.call(() => this.redis.get(this.pointerKey));
  }

  async activate(name: string): Promise<void> {
    if ((await this.get(name)) === undefined) {
      throw new InterestStreamError('NOT_FOUND', `generation "${name}" is unknown; start it with: interest-stream ingest --generation ${name}`);
    }
    await this.call(() => this.redis.set(this.pointerKey, name));
  }

  async remove(name: string): Promise<void> {
    await this.call(() => this.redis.hdel(this.registryKey, name));
  }

  private async call<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}
