import type { CasOutcome, UserStateStore, UserStateWrite } from '../../domain/ports/index.js';
import type { UserState } from '../../domain/types.js';
import { toInterestStreamError } from '../../domain/errors.js';
import type { RedisKeys } from '../../core/names.js';
import { decodeState, encodeStateBody, encodeVector, formatWatermark, parseWatermark } from '../../core/user-state-codec.js';
import { type RedisClient, defineScripts } from './redis-client.js';

/**
 * A user's state is one Redis hash `<prefix>:user:{userId}` with fields
 *   w  watermark "partition:offset" of the last applied event
 *   s  the state without the vector (user-state-codec)
 *   v  the vector, raw little-endian float32 bytes (absent when the user has none)
 * Writes are a compare-and-set on `w` in Lua, so a consumer that lost its partition in a rebalance
 * (a zombie) can never overwrite a newer state.
 */
const CAS_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], 'w')
if not cur then cur = '' end
if cur ~= ARGV[1] then return {0, cur} end
redis.call('HSET', KEYS[1], 'w', ARGV[2], 's', ARGV[3])
if ARGV[4] == '' then redis.call('HDEL', KEYS[1], 'v') else redis.call('HSET', KEYS[1], 'v', ARGV[4]) end
return {1, ARGV[2]}
`;

const PUT_SCRIPT = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'w', ARGV[1], 's', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'v', ARGV[3]) end
return 1
`;

/** Deletes a user's hash only if it still holds the undecodable body that was read (never a newer write). */
const DISCARD_SCRIPT = `
if redis.call('HGET', KEYS[1], 's') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

interface CasCommands {
  isCasUserState(key: string, expected: string, next: string, body: Buffer, vector: Buffer | string): Promise<[number, string]>;
  isPutUserState(key: string, watermark: string, body: Buffer, vector: Buffer | string): Promise<number>;
  isDiscardUserState(key: string, body: Buffer): Promise<number>;
}

export interface RedisUserStateStoreOptions {
  /**
   * Called for a stored state that cannot be decoded (corrupt, or a newer format). The state is
   * then deleted (if unchanged since it was read) and reported missing, so the caller reloads it
   * from the durable store: one bad value must not stop a partition. Absent, getMany throws.
   */
  readonly onCorrupt?: (userId: string, error: unknown) => void;
}

export class RedisUserStateStore implements UserStateStore {
  private readonly redis: RedisClient & CasCommands;
  private closing: Promise<void> | undefined;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: RedisUserStateStoreOptions = {},
  ) {
    this.redis = defineScripts<CasCommands>(redis, {
      isCasUserState: { keys: 1, lua: CAS_SCRIPT },
      isPutUserState: { keys: 1, lua: PUT_SCRIPT },
      isDiscardUserState: { keys: 1, lua: DISCARD_SCRIPT },
    });
  }

  async start(): Promise<void> {
    // The connection is owned by the composition root; nothing to open here.
  }

  close(): Promise<void> {
    this.closing ??= Promise.resolve();
    return this.closing;
  }

  async getMany(userIds: readonly string[]): Promise<Map<string, UserState>> {
    const out = new Map<string, UserState>();
    if (userIds.length === 0) return out;
    let rows: Array<Array<Buffer | null>>;
    try {
      rows = await Promise.all(userIds.map((id) => this.redis.hmgetBuffer(this.keys.user(id), 'w', 's', 'v')));
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
    const corrupt: Array<{ userId: string; body: Buffer }> = [];
    rows.forEach(([w, s, v], i) => {
      const userId = userIds[i]!;
      if (!s) return;
      try {
        out.set(userId, decodeState(userId, { body: s, vector: v ?? null, watermark: w ? w.toString() : null }));
      } catch (e) {
        if (!this.options.onCorrupt) throw e;
        this.options.onCorrupt(userId, e);
        corrupt.push({ userId, body: s });
      }
    });
    await this.discard(corrupt);
    return out;
  }

  private async discard(corrupt: ReadonlyArray<{ userId: string; body: Buffer }>): Promise<void> {
    try {
      await Promise.all(corrupt.map((c) => this.redis.isDiscardUserState(this.keys.user(c.userId), c.body)));
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }

  async casMany(writes: readonly UserStateWrite[]): Promise<CasOutcome[]> {
    try {
      const results = await Promise.all(
        writes.map((w) =>
          this.redis.isCasUserState(
            this.keys.user(w.state.userId),
            formatWatermark(w.expected),
            formatWatermark(w.state.watermark),
            encodeStateBody(w.state),
            encodeVector(w.state.vector) ?? '',
          ),
        ),
      );
      return results.map(([ok, current]) => (ok === 1 ? { ok: true } : { ok: false, current: parseWatermark(current) }));
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }

  async putMany(states: readonly UserState[]): Promise<void> {
    try {
      await Promise.all(
        states.map((s) =>
          this.redis.isPutUserState(this.keys.user(s.userId), formatWatermark(s.watermark), encodeStateBody(s), encodeVector(s.vector) ?? ''),
        ),
      );
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }

  async delete(userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    try {
      // One DEL per key: on Redis Cluster a multi-key DEL must stay within one slot.
      await Promise.all(userIds.map((id) => this.redis.del(this.keys.user(id))));
    } catch (e) {
      throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
    }
  }
}
