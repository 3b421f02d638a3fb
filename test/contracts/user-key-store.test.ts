import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys } from '../../services/core/names.js';
import { RedisUserKeyStore } from '../../services/adapters/redis/redis-user-key-store.js';
import { EmbeddedVectorStore } from '../../services/adapters/vector-store/embedded-vector-store.js';
import { VectorStoreKeyArchive } from '../../services/adapters/vector-store/vector-store-key-archive.js';
import { newUserKey } from '../../services/domain/shred/envelope.js';
import { InMemoryUserKeyStore, keyRef } from '../../services/domain/shred/user-keys.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import { createOne, describeUserKeyStoreContract } from './user-key-store.contract.js';

const redis = testRedis();
const keys = new RedisKeys(unique('ukeys'), 'g1');
const dir = mkdtempSync(path.join(tmpdir(), 'is-ukeys-'));
const vectors = new EmbeddedVectorStore({ directory: dir, logger: silentLogger() });
const archive = new VectorStoreKeyArchive(vectors);

beforeAll(() => vectors.start());
afterAll(async () => {
  await cleanUp(redis, keys.root);
  await vectors.close();
  rmSync(dir, { recursive: true, force: true });
});

describeUserKeyStoreContract('in memory (the fake)', () => new InMemoryUserKeyStore());
describeUserKeyStoreContract('Redis + durable archive (embedded store)', () => new RedisUserKeyStore(redis, keys, archive));

describe('RedisUserKeyStore beyond the contract', () => {
  const p = Buffer.from(unique('loss').padEnd(32, '.').slice(0, 32)).toString('hex');

  it('losing Redis shreds nobody: keys are found in the archive, and the next key is a new one', async () => {
    const store = new RedisUserKeyStore(redis, keys, archive);
    const first = await createOne(store, p, newUserKey());
    await redis.del(keys.userKey(p));
    expect(await store.current([p])).toEqual(new Map());
    expect(await store.find([{ pseudonym: p, keyId: first.keyId }])).toEqual(new Map([[keyRef(p, first.keyId), first]]));
    const second = await createOne(store, p, newUserKey());
    expect(second.keyId).not.toBe(first.keyId);
    const both = await store.find([{ pseudonym: p, keyId: first.keyId }, { pseudonym: p, keyId: second.keyId }]);
    expect([...both.keys()].sort()).toEqual([keyRef(p, first.keyId), keyRef(p, second.keyId)].sort());
    await store.deleteAll(p);
    expect(await store.find([{ pseudonym: p, keyId: first.keyId }, { pseudonym: p, keyId: second.keyId }])).toEqual(new Map());
  });

  it('publishers on their own connections racing for the same new users all get the same keys, each archived', async () => {
    const names = Array.from({ length: 20 }, (_, i) => Buffer.from(unique(`race${i}`).padEnd(32, '.').slice(0, 32)).toString('hex'));
    // Connections of their own, in the run's topology (duplicate() of a Cluster client is a Cluster client).
    const connections = Array.from({ length: 4 }, () => redis.duplicate());
    try {
      const results = await Promise.all(connections.map((c) => new RedisUserKeyStore(c, keys, archive).createIfAbsent(new Map(names.map((n) => [n, newUserKey()])))));
      for (const n of names) expect(new Set(results.map((r) => r.get(n)!.keyId)).size).toBe(1);
      const refs = names.map((n) => ({ pseudonym: n, keyId: results[0]!.get(n)!.keyId }));
      expect((await archive.find(refs)).size).toBe(names.length);
    } finally {
      await Promise.all(connections.map((c) => c.quit()));
    }
  });

  it('a claim left pending by a crashed creator is waited for, then taken over once it expires', async () => {
    const q = Buffer.from(unique('crash').padEnd(32, '.').slice(0, 32)).toString('hex');
    const orphan = newUserKey();
    await redis.set(keys.userKey(q), `p|${orphan.keyId}|${orphan.material.toString('base64')}`, 'PX', 300);
    const started = Date.now();
    const key = await createOne(new RedisUserKeyStore(redis, keys, archive), q, newUserKey());
    expect(key.keyId).not.toBe(orphan.keyId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
