import type { UserKey } from './envelope.js';

/**
 * Port: where the per-user data keys of crypto-shredding live (docs/privacy-shred.md). Users are
 * named by pseudonym (envelope.ts), never by id. A user has one *current* key, which publishers
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

export function keyRef(pseudonym: string, keyId: string): string {
  return `${pseudonym}.${keyId}`;
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

/** Looks `refs` up in a per-pseudonym map of keys by id (the archives' shared read). */
export function pickKeys(refs: readonly KeyRef[], held: (pseudonym: string) => ReadonlyMap<string, UserKey> | undefined): Map<string, UserKey> {
  const out = new Map<string, UserKey>();
  for (const r of refs) {
    const k = held(r.pseudonym)?.get(r.keyId);
    if (k) out.set(keyRef(r.pseudonym, r.keyId), k);
  }
  return out;
}

/** In-memory archive (the fake below, unit tests). */
export class InMemoryKeyArchive implements KeyArchive {
  private readonly keys = new Map<string, Map<string, UserKey>>();

  async put(entries: ReadonlyArray<{ readonly pseudonym: string; readonly key: UserKey }>): Promise<void> {
    for (const { pseudonym, key } of entries) this.keys.set(pseudonym, (this.keys.get(pseudonym) ?? new Map<string, UserKey>()).set(key.keyId, key));
  }

  async find(refs: readonly KeyRef[]): Promise<Map<string, UserKey>> {
    return pickKeys(refs, (p) => this.keys.get(p));
  }

  async remove(refs: readonly KeyRef[]): Promise<void> {
    for (const r of refs) this.keys.get(r.pseudonym)?.delete(r.keyId);
  }

  async deleteAll(pseudonym: string): Promise<void> {
    this.keys.delete(pseudonym);
  }
}

/** The in-memory fake of UserKeyStore (one process; the contract suite holds it to the Redis adapter's behaviour). */
export class InMemoryUserKeyStore implements UserKeyStore {
  /** A key becomes current once archived; until then concurrent creators wait on the same promise. */
  private readonly currentKeys = new Map<string, Promise<UserKey>>();
  readonly archive = new InMemoryKeyArchive();

  async current(pseudonyms: readonly string[]): Promise<Map<string, UserKey>> {
    const out = new Map<string, UserKey>();
    for (const p of pseudonyms) {
      const k = this.currentKeys.get(p);
      if (k) out.set(p, await k);
    }
    return out;
  }

  find(refs: readonly KeyRef[]): Promise<Map<string, UserKey>> {
    return this.archive.find(refs);
  }

  async createIfAbsent(candidates: ReadonlyMap<string, UserKey>): Promise<Map<string, UserKey>> {
    const entries = [...candidates].map(([pseudonym, candidate]) => {
      let key = this.currentKeys.get(pseudonym);
      if (key === undefined) {
        key = this.archive.put([{ pseudonym, key: candidate }]).then(() => candidate);
        this.currentKeys.set(pseudonym, key);
      }
      return [pseudonym, key] as const;
    });
    return new Map(await Promise.all(entries.map(async ([p, k]) => [p, await k] as const)));
  }

  async deleteAll(pseudonym: string): Promise<void> {
    this.currentKeys.delete(pseudonym);
    await this.archive.deleteAll(pseudonym);
  }
}
