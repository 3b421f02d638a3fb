/**
 * The UserKeyStore conformance suite: the in-memory fake and the Redis adapter (with its durable
 * archive in the embedded vector store) run it unchanged.
 */
import { describe, expect, it } from 'vitest';
import { newUserKey } from '../../services/shred/envelope.js';
import { keyRef, type UserKeyStore } from '../../services/shred/user-keys.js';
import { unique } from '../support/names.js';

const pseudonym = (): string => Buffer.from(unique('p').padEnd(32, '.').slice(0, 32)).toString('hex');

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
      expect(await store.createIfAbsent(p, first)).toEqual(first);
      expect(await store.createIfAbsent(p, newUserKey())).toEqual(first);
      expect(await store.current([p])).toEqual(new Map([[p, first]]));
      expect(await store.find([{ pseudonym: p, keyId: first.keyId }])).toEqual(new Map([[keyRef(p, first.keyId), first]]));
    });

    it('concurrent creators of one user all get the same key', async () => {
      const store = make();
      const p = pseudonym();
      const winners = await Promise.all(Array.from({ length: 8 }, () => store.createIfAbsent(p, newUserKey())));
      expect(new Set(winners.map((k) => k.keyId)).size).toBe(1);
      expect((await store.current([p])).get(p)).toEqual(winners[0]);
    });

    it('keeps users apart, and deleteAll forgets only that user', async () => {
      const store = make();
      const [a, b] = [pseudonym(), pseudonym()];
      const [ka, kb] = [await store.createIfAbsent(a, newUserKey()), await store.createIfAbsent(b, newUserKey())];
      await store.deleteAll(a);
      expect(await store.current([a, b])).toEqual(new Map([[b, kb]]));
      expect(await store.find([{ pseudonym: a, keyId: ka.keyId }, { pseudonym: b, keyId: kb.keyId }])).toEqual(new Map([[keyRef(b, kb.keyId), kb]]));
    });

    it('after deleteAll a new key can be created, with a new id; the old one stays gone', async () => {
      const store = make();
      const p = pseudonym();
      const old = await store.createIfAbsent(p, newUserKey());
      await store.deleteAll(p);
      const fresh = await store.createIfAbsent(p, newUserKey());
      expect(fresh.keyId).not.toBe(old.keyId);
      expect(await store.find([{ pseudonym: p, keyId: old.keyId }])).toEqual(new Map());
      expect((await store.current([p])).get(p)).toEqual(fresh);
    });
  });
}
