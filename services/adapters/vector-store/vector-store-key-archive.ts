import type { KeyArchive, KeyRef, VectorStore } from '../../domain/ports/index.js';
import type { UserKey } from '../../domain/shred/envelope.js';
import { pickKeys } from '../../domain/shred/user-keys.js';
import { PLACEHOLDER_VECTOR, recordCollection } from './record-collection.js';

/** The durable collection of crypto-shredding keys: shared by every generation, never aliased. */
export const USER_KEYS_COLLECTION = 'user_keys';

/**
 * The KeyArchive in the vector store (embedded LanceDB or Qdrant): one point per pseudonym, its
 * payload `{ keys: { <keyId>: <base64> } }`. `put` reads, adds and writes back: only the process
 * that won the pseudonym's creation claim in Redis writes, so two writers of one point do not race
 * (RedisUserKeyStore).
 */
export class VectorStoreKeyArchive implements KeyArchive {
  private readonly ensure: () => Promise<void>;

  constructor(private readonly store: VectorStore) {
    this.ensure = recordCollection(store, USER_KEYS_COLLECTION);
  }

  async put(entries: ReadonlyArray<{ readonly pseudonym: string; readonly key: UserKey }>): Promise<void> {
    if (entries.length === 0) return;
    const held = await this.read([...new Set(entries.map((e) => e.pseudonym))]);
    for (const { pseudonym, key } of entries) held.set(pseudonym, (held.get(pseudonym) ?? new Map<string, UserKey>()).set(key.keyId, key));
    await this.write(held);
  }

  async find(refs: readonly KeyRef[]): Promise<Map<string, UserKey>> {
    const held = await this.read([...new Set(refs.map((r) => r.pseudonym))]);
    return pickKeys(refs, (p) => held.get(p));
  }

  async remove(refs: readonly KeyRef[]): Promise<void> {
    if (refs.length === 0) return;
    const held = await this.read([...new Set(refs.map((r) => r.pseudonym))]);
    for (const r of refs) held.get(r.pseudonym)?.delete(r.keyId);
    const empty = [...held].filter(([, keys]) => keys.size === 0).map(([p]) => p);
    if (empty.length > 0) await this.store.delete(USER_KEYS_COLLECTION, empty);
    await this.write(new Map([...held].filter(([, keys]) => keys.size > 0)));
  }

  async deleteAll(pseudonym: string): Promise<void> {
    await this.ensure();
    await this.store.delete(USER_KEYS_COLLECTION, [pseudonym]);
  }

  private async read(pseudonyms: readonly string[]): Promise<Map<string, Map<string, UserKey>>> {
    await this.ensure();
    const points = await this.store.get(USER_KEYS_COLLECTION, pseudonyms);
    const out = new Map<string, Map<string, UserKey>>();
    for (const [id, point] of points) {
      const keys = (point.payload.keys ?? {}) as Record<string, string>;
      out.set(id, new Map(Object.entries(keys).map(([keyId, b64]) => [keyId, { keyId, material: Buffer.from(b64, 'base64') }])));
    }
    return out;
  }

  private async write(held: ReadonlyMap<string, ReadonlyMap<string, UserKey>>): Promise<void> {
    if (held.size === 0) return;
    const points = [...held].map(([id, keys]) => ({ id, vector: PLACEHOLDER_VECTOR, payload: { keys: Object.fromEntries([...keys].map(([keyId, k]) => [keyId, k.material.toString('base64')])) } }));
    await this.store.upsert(USER_KEYS_COLLECTION, points);
  }

}
