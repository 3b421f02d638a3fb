import type { UserState, Watermark } from '../types.js';

/** Result of a compare-and-set write of one user's state. */
export type CasOutcome = { readonly ok: true } | { readonly ok: false; readonly current: Watermark | null };

export interface UserStateWrite {
  readonly state: UserState;
  /** The watermark the state was read at; the write succeeds only if the store still holds it. */
  readonly expected: Watermark | null;
}

/** Hot per-user state (Redis). */
export interface UserStateStore {
  start(): Promise<void>;
  close(): Promise<void>;
  /** States found, by user id; a missing user is absent (a miss, to rehydrate from the durable store). */
  getMany(userIds: readonly string[]): Promise<Map<string, UserState>>;
  /** Compare-and-set on the watermark, one outcome per write, in order. */
  casMany(writes: readonly UserStateWrite[]): Promise<CasOutcome[]>;
  /** Unconditional write (rehydration, erasure by the query service). */
  putMany(states: readonly UserState[]): Promise<void>;
  delete(userIds: readonly string[]): Promise<void>;
}
