import type { UserKey } from '../shred/envelope.js';

/**
 * Port: where the per-user data keys of crypto-shredding live (docs/privacy-shred.md). Users are
 * named by pseudonym (shred/envelope.ts), never by id. A user has one *current* key, which publishers
 * seal with; envelopes name the key that sealed them, so an older key (after a Redis loss made a
 * publisher create a new one) still opens its events until the user is erased.
 * One conformance suite: test/contracts/user-key-store.contract.ts.
 */
export interface UserKeyStore {
  /** The current key of each pseudonym that has one. */
  current(pseudonyms: readonly string[]): Promise<Map<string, UserKey>>;
  /** The keys still held among these (pseudonym, key id) pairs, by `keyRef(pseudonym, keyId)`. */
  find(refs: readonly KeyRef[]): Promise<Map<string, UserKey>>;
  /**
   * Makes each candidate its pseudonym's current key unless it has one, race-free across
   * processes, and returns every pseudonym's current key (its candidate or the one that won). A key
   * is durable before any caller gets it back. One call for a whole batch of new users.
   */
  createIfAbsent(candidates: ReadonlyMap<string, UserKey>): Promise<Map<string, UserKey>>;
  /** Forgets every key of the pseudonym, current and older: its events can no longer be opened. */
  deleteAll(pseudonym: string): Promise<void>;
}

export interface KeyRef {
  readonly pseudonym: string;
  readonly keyId: string;
}

/**
 * Port: the durable copy of every key (the vector store in production), so that losing Redis does
 * not shred everybody. One record per pseudonym holding all its keys, so an erasure deletes one
 * record. Only the process that won a pseudonym's creation race writes it (UserKeyStore).
 */
export interface KeyArchive {
  /** Adds each key to its pseudonym's keys (one write for the batch). */
  put(entries: ReadonlyArray<{ readonly pseudonym: string; readonly key: UserKey }>): Promise<void>;
  find(refs: readonly KeyRef[]): Promise<Map<string, UserKey>>;
  /** Removes these keys (creations overtaken by an erasure). */
  remove(refs: readonly KeyRef[]): Promise<void>;
  deleteAll(pseudonym: string): Promise<void>;
}
