import { InterestStreamError, toInterestStreamError } from '../../domain/errors.js';
import { RedisKeys } from '../../core/names.js';
import type { RedisClient } from './redis-client.js';
import type { GenerationsMirror } from '../vector-store/vector-store-generations.js';

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
 *
 * With a durable mirror every change is also written there (first, so the mirror is never behind an
 * operator's intent), and Redis is restored from it: `restore()` at start, and `active()` whenever
 * the pointer is missing from Redis (flushed without persistence) but was set once.
 */
/** How often a missing registry or pointer is looked up in the mirror. */
const RESTORE_EVERY_MS = 5_000;

export class RedisGenerationRegistry {
  private restoredAt = -Infinity;
  private readonly registryKey: string;
  private readonly pointerKey: string;

  constructor(
    private readonly redis: RedisClient,
    root: string,
    private readonly mirror?: GenerationsMirror,
  ) {
    this.registryKey = RedisKeys.generations(root);
    this.pointerKey = RedisKeys.activeGeneration(root);
  }

  /** Records a generation the first time it runs; a later run keeps the first description. */
  async register(info: GenerationInfo): Promise<GenerationInfo> {
    await this.restore({ syncMirror: true });
    const known = await this.call(async () => {
      await this.redis.hsetnx(this.registryKey, info.name, JSON.stringify(info));
      return (await this.get(info.name)) ?? info;
    });
    await this.mirror?.put(known.name, JSON.stringify(known));
    return known;
  }

  /**
   * Puts back into Redis what the mirror knows and Redis lost (never replacing what Redis holds).
   * With `syncMirror`, then gives the mirror what only Redis knows (a registry from before the
   * mirror existed); ingest does so at start, read paths never write the mirror.
   */
  async restore(opts: { syncMirror?: boolean } = {}): Promise<void> {
    const mirror = this.mirror;
    if (!mirror) return;
    this.restoredAt = Date.now();
    const [all, active] = await Promise.all([mirror.all(), mirror.active()]);
    const [inRedis, pointer] = await this.call(async () => {
      for (const [name, description] of all) await this.redis.hsetnx(this.registryKey, name, description);
      if (active !== null) await this.redis.set(this.pointerKey, active, 'NX');
      return opts.syncMirror ? Promise.all([this.redis.hgetall(this.registryKey), this.redis.get(this.pointerKey)]) : [{}, null];
    });
    for (const [name, description] of Object.entries(inRedis)) if (!all.has(name)) await mirror.put(name, description);
    if (active === null && pointer !== null) await mirror.setActive(pointer);
  }

  async get(name: string): Promise<GenerationInfo | undefined> {
    await this.restoreIfLost();
    return this.call(async () => {
      const raw = await this.redis.hget(this.registryKey, name);
      return raw === null ? undefined : (JSON.parse(raw) as GenerationInfo);
    });
  }

  async list(): Promise<GenerationInfo[]> {
    await this.restoreIfLost();
    return this.call(async () => {
      const all = await this.redis.hgetall(this.registryKey);
      return Object.values(all)
        .map((raw) => JSON.parse(raw) as GenerationInfo)
        .sort((a, b) => a.createdAt - b.createdAt);
    });
  }

  /** The active generation's name, or null when none was ever activated. */
  async active(): Promise<string | null> {
    const name = await this.call(() => this.redis.get(this.pointerKey));
    if (name !== null || !this.mayRestore()) return name;
    await this.restore();
    return this.call(() => this.redis.get(this.pointerKey));
  }

  async activate(name: string): Promise<void> {
    if ((await this.get(name)) === undefined) {
      throw new InterestStreamError('NOT_FOUND', `generation "${name}" is unknown; start it with: interest-stream ingest --generation ${name}`);
    }
    await this.mirror?.setActive(name);
    await this.call(() => this.redis.set(this.pointerKey, name));
  }

  async remove(name: string): Promise<void> {
    await this.call(() => this.redis.hdel(this.registryKey, name));
    await this.mirror?.remove(name);
  }

  /** A registry missing from Redis while a mirror exists means Redis lost it (flush, restart). */
  private async restoreIfLost(): Promise<void> {
    if (this.mayRestore() && (await this.call(() => this.redis.exists(this.registryKey))) === 0) await this.restore();
  }

  /**
   * A missing pointer is also the normal state of a deployment that never activated a generation:
   * the query service reads the pointer on every request, so the mirror is asked at most once per
   * RESTORE_EVERY_MS, not per request.
   */
  private mayRestore(): boolean {
    return this.mirror !== undefined && Date.now() - this.restoredAt >= RESTORE_EVERY_MS;
  }

  private async call<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}
