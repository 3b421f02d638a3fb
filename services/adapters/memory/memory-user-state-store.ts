import type { CasOutcome, UserStateStore, UserStateWrite } from '../../domain/ports/index.js';
import type { UserState } from '../../domain/types.js';
import { decodeState, encodeStateBody, encodeVector, formatWatermark, parseWatermark } from '../../core/user-state-codec.js';

/** A user's row as the Redis adapter keeps it: the watermark text, the encoded body and vector. */
interface StoredRow {
  readonly w: string;
  readonly s: Buffer;
  readonly v: Buffer | null;
}

/**
 * The UserStateStore fake for unit tests: one map of users, each kept in the storage form the
 * Redis adapter writes (user-state-codec), so a state comes back exactly as Redis would return it
 * — copied, never the caller's object — and the compare-and-set compares the same watermark text.
 * Passes test/contracts/user-state-store.contract.ts alongside RedisUserStateStore.
 */
export class InMemoryUserStateStore implements UserStateStore {
  private readonly rows = new Map<string, StoredRow>();
  private closing: Promise<void> | undefined;

  async start(): Promise<void> {}

  close(): Promise<void> {
    this.closing ??= Promise.resolve();
    return this.closing;
  }

  async getMany(userIds: readonly string[]): Promise<Map<string, UserState>> {
    const out = new Map<string, UserState>();
    for (const userId of userIds) {
      const row = this.rows.get(userId);
      if (row) out.set(userId, decodeState(userId, { body: row.s, vector: row.v, watermark: row.w }));
    }
    return out;
  }

  async casMany(writes: readonly UserStateWrite[]): Promise<CasOutcome[]> {
    return writes.map(({ state, expected }) => {
      const current = this.rows.get(state.userId)?.w ?? '';
      if (current !== formatWatermark(expected)) return { ok: false, current: parseWatermark(current) };
      this.rows.set(state.userId, rowOf(state));
      return { ok: true };
    });
  }

  async putMany(states: readonly UserState[]): Promise<void> {
    for (const s of states) this.rows.set(s.userId, rowOf(s));
  }

  /** The user's watermark as stored ('' for no state), read at once: what the Redis claim script reads (InMemorySnapshotClaims). */
  watermarkOf(userId: string): string {
    return this.rows.get(userId)?.w ?? '';
  }

  async delete(userIds: readonly string[]): Promise<void> {
    for (const id of userIds) this.rows.delete(id);
  }
}

function rowOf(state: UserState): StoredRow {
  const vector = encodeVector(state.vector);
  // encodeVector is a view of the caller's array: copied, as sending it to Redis would.
  return { w: formatWatermark(state.watermark), s: encodeStateBody(state), v: vector && Buffer.from(vector) };
}
