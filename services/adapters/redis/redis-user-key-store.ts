import { setTimeout as sleep } from 'node:timers/promises';
import { InterestStreamError, toInterestStreamError } from '../../domain/errors.js';
import type { RedisKeys } from '../../core/names.js';
import type { UserKey } from '../../domain/shred/envelope.js';
import { keyRef } from '../../domain/shred/user-keys.js';
import type { KeyArchive, KeyRef, UserKeyStore } from '../../domain/ports/index.js';
import { type RedisClient, defineScripts } from './redis-client.js';

/**
 * The UserKeyStore on Redis, with every key also in a durable KeyArchive. A user's current key is
 * one string `<root>:ukey:{<pseudonym>}` (its own slot on Redis Cluster):
 *   `p|<keyId>|<base64>`  pending: claimed by one creator, not yet archived (expires after CLAIM_TTL_MS)
 *   `r|<keyId>|<base64>`  ready: archived, usable
 * Creation: claim (SET NX in Lua) -> the winner archives the key -> the winner turns it ready (only
 * if still its claim). Others wait for ready, so no event is sealed with a key the archive lacks;
 * a creator that crashes mid-way leaves a claim that expires and is taken over.
 */
const CLAIM_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur then return cur end
redis.call('SET', KEYS[1], 'p|' .. ARGV[1], 'PX', ARGV[2])
return 'p|' .. ARGV[1]
`;

const READY_SCRIPT = `
if redis.call('GET', KEYS[1]) == 'p|' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'r|' .. ARGV[1])
  return 1
end
return 0
`;

interface KeyCommands {
  isClaimUserKey(key: string, value: string, ttlMs: number): Promise<string>;
  isReadyUserKey(key: string, value: string): Promise<number>;
}

const CLAIM_TTL_MS = 10_000;
const WAIT_STEP_MS = 20;

function encode(k: UserKey): string {
  return `${k.keyId}|${k.material.toString('base64')}`;
}

function decode(value: string | null): { ready: boolean; key: UserKey } | undefined {
  const m = value === null ? null : /^([pr])\|([0-9a-f]{16})\|([A-Za-z0-9+/=]+)$/.exec(value);
  if (!m) return undefined;
  return { ready: m[1] === 'r', key: { keyId: m[2]!, material: Buffer.from(m[3]!, 'base64') } };
}

export class RedisUserKeyStore implements UserKeyStore {
  private readonly redis: RedisClient & KeyCommands;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly archive: KeyArchive,
    private readonly waitMs = CLAIM_TTL_MS,
  ) {
    this.redis = defineScripts<KeyCommands>(redis, {
      isClaimUserKey: { keys: 1, lua: CLAIM_SCRIPT },
      isReadyUserKey: { keys: 1, lua: READY_SCRIPT },
    });
  }

  async current(pseudonyms: readonly string[]): Promise<Map<string, UserKey>> {
    const values = await this.guard(() => this.getAll(pseudonyms.map((p) => this.keys.userKey(p))));
    const out = new Map<string, UserKey>();
    values.forEach((v, i) => {
      const d = decode(v);
      if (d?.ready) out.set(pseudonyms[i]!, d.key);
    });
    return out;
  }

  /** From Redis when the key is the current one (the common case), else from the archive. */
  async find(refs: readonly KeyRef[]): Promise<Map<string, UserKey>> {
    const current = await this.current([...new Set(refs.map((r) => r.pseudonym))]);
    const out = new Map<string, UserKey>();
    const missing: KeyRef[] = [];
    for (const r of refs) {
      const k = current.get(r.pseudonym);
      if (k?.keyId === r.keyId) out.set(keyRef(r.pseudonym, r.keyId), k);
      else missing.push(r);
    }
    if (missing.length > 0) for (const [ref, k] of await this.archive.find(missing)) out.set(ref, k);
    return out;
  }

  async createIfAbsent(candidates: ReadonlyMap<string, UserKey>): Promise<Map<string, UserKey>> {
    const out = new Map<string, UserKey>();
    const deadline = Date.now() + this.waitMs;
    let todo: Array<readonly [string, UserKey]> = [...candidates];
    for (;;) {
      const held = await this.guard(() => Promise.all(todo.map(([p, k]) => this.redis.isClaimUserKey(this.keys.userKey(p), encode(k), CLAIM_TTL_MS))));
      const won = todo.filter(([, k], i) => held[i] === `p|${encode(k)}`);
      const waiting = todo.filter(([p, k], i) => {
        const d = decode(held[i]!);
        if (d?.ready) out.set(p, d.key);
        return !d?.ready && held[i] !== `p|${encode(k)}`;
      });
      todo = [...waiting, ...(await this.archiveAndReady(won, out))];
      if (todo.length === 0) return out;
      if (Date.now() > deadline) throw new InterestStreamError('STORE_UNAVAILABLE', `the data keys of ${todo.length} users stayed pending for ${this.waitMs} ms`);
      await sleep(WAIT_STEP_MS);
    }
  }

  /**
   * Archives the claims this call won (one write), then turns each ready if it is still ours; the
   * ones erased (or expired) meanwhile are taken back out of the archive and returned, to retry.
   */
  private async archiveAndReady(won: ReadonlyArray<readonly [string, UserKey]>, out: Map<string, UserKey>): Promise<Array<readonly [string, UserKey]>> {
    if (won.length === 0) return [];
    await this.archive.put(won.map(([pseudonym, key]) => ({ pseudonym, key })));
    const ready = await this.guard(() => Promise.all(won.map(([p, k]) => this.redis.isReadyUserKey(this.keys.userKey(p), encode(k)))));
    const lost = won.filter((_, i) => ready[i] !== 1);
    won.forEach(([p, k], i) => ready[i] === 1 && out.set(p, k));
    await this.archive.remove(lost.map(([pseudonym, k]) => ({ pseudonym, keyId: k.keyId })));
    return lost;
  }

  /** Redis first, so no publisher seals with the key once this starts; then the archive. */
  async deleteAll(pseudonym: string): Promise<void> {
    await this.guard(() => this.redis.del(this.keys.userKey(pseudonym)));
    await this.archive.deleteAll(pseudonym);
  }

  /** One MGET on a single node; one GET per key on Redis Cluster, where the keys sit in different slots. */
  private async getAll(keys: readonly string[]): Promise<Array<string | null>> {
    if (keys.length === 0) return [];
    if ('nodes' in this.redis) return Promise.all(keys.map((k) => this.redis.get(k)));
    return this.redis.mget(...keys);
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}
