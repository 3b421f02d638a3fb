import type { KeyArchive, KeyRef, UserKeyStore } from '../ports/index.js';
import type { UserKey } from './envelope.js';

/** The name of one key of one pseudonym, as `UserKeyStore.find` returns it. */
export function keyRef(pseudonym: string, keyId: string): string {
  return `${pseudonym}.${keyId}`;
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
