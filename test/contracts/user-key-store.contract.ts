/**
 * The UserKeyStore conformance suite: the in-memory fake and the Redis adapter (with its durable
 * archive in the embedded vector store) run it unchanged.
 */
import { describe, expect, it } from 'vitest';
import { newUserKey, type UserKey } from '../../services/domain/shred/envelope.js';
import { keyRef } from '../../services/domain/shred/user-keys.js';
import type { UserKeyStore } from '../../services/domain/ports/index.js';
import { unique } from '../support/names.js';

const pseudonym = (): string => Buffer.from(unique('p').padEnd(32, '.').slice(0, 32)).toString('hex');

/** One user's key through the batch call. */
export async function createOne(store: UserKeyStore, pseudonym: string, candidate: UserKey): Promise<UserKey> {
  return (await store.createIfAbsent(new Map([[pseudonym, candidate]]))).get(pseudonym)!;
}

export function describeUserKeyStoreContract(name: string, make: () => UserKeyStore): void {
  describe(`UserKeyStore contract: ${name}`, () => {
    it('a user without a key has none, current or found', async () => {
      const store = make();
      const p = pseudonym();
      expect(await store.current([p])).toEqual(new Map());
      expect(await store.find([{ pseudonym: p, keyId: '0011223344556677' }])).toEqual(new Map());
    });

    it('creates a key once: a second candidate gets the first back', async () => {
      const store = make();
      const p = pseudonym();
      const first = newUserKey();
      expect(await createOne(store, p, first)).toEqual(first);
      expect(await createOne(store, p, newUserKey())).toEqual(first);
      expect(await store.current([p])).toEqual(new Map([[p, first]]));
      expect(await store.find([{ pseudonym: p, keyId: first.keyId }])).toEqual(new Map([[keyRef(p, first.keyId), first]]));
    });

    it('concurrent creators of one user all get the same key', async () => {
      const store = make();
      const p = pseudonym();
      const winners = await Promise.all(Array.from({ length: 8 }, () => createOne(store, p, newUserKey())));
      expect(new Set(winners.map((k) => k.keyId)).size).toBe(1);
      expect((await store.current([p])).get(p)).toEqual(winners[0]);
    });

    it('creates a batch at once: new users get their candidates, a user with a key keeps it', async () => {
      const store = make();
      const [had, a, b] = [pseudonym(), pseudonym(), pseudonym()];
      const existing = await createOne(store, had, newUserKey());
      const candidates = new Map([had, a, b].map((p) => [p, newUserKey()]));
      const got = await store.createIfAbsent(candidates);
      expect(got).toEqual(new Map([[had, existing], [a, candidates.get(a)!], [b, candidates.get(b)!]]));
      expect(await store.current([had, a, b])).toEqual(got);
    });

    it('keeps users apart, and deleteAll forgets only that user', async () => {
      const store = make();
      const [a, b] = [pseudonym(), pseudonym()];
      const [ka, kb] = [await createOne(store, a, newUserKey()), await createOne(store, b, newUserKey())];
      await store.deleteAll(a);
      expect(await store.current([a, b])).toEqual(new Map([[b, kb]]));
      expect(await store.find([{ pseudonym: a, keyId: ka.keyId }, { pseudonym: b, keyId: kb.keyId }])).toEqual(new Map([[keyRef(b, kb.keyId), kb]]));
    });

    it('after deleteAll a new key can be created, with a new id; the old one stays gone', async () => {
      const store = make();
      const p = pseudonym();
      const old = await createOne(store, p, newUserKey());
      await store.deleteAll(p);
      const fresh = await createOne(store, p, newUserKey());
      expect(fresh.keyId).not.toBe(old.keyId);
      expect(await store.find([{ pseudonym: p, keyId: old.keyId }])).toEqual(new Map());
      expect((await store.current([p])).get(p)).toEqual(fresh);
    });
  });
}
