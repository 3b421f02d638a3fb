import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import type { RedisClient } from '../../services/adapters/redis/redis-client.js';
import { fullState as state } from '../contracts/user-state-store.contract.js';

/** What the Redis adapter adds to the port's contract (test/contracts/user-state-store.contract.ts): its key layout. */
describe('RedisUserStateStore', () => {
  let redis: RedisClient;
  let keys: RedisKeys;
  let store: RedisUserStateStore;

  beforeAll(async () => {
    redis = testRedis();
    keys = new RedisKeys(unique('t'), 'g1');
    store = new RedisUserStateStore(redis, keys);
  });
  afterAll(() => cleanUp(redis, keys.prefix));

  it('keeps every key of a user under its {userId} hash tag', async () => {
    await store.putMany([state('tagged')]);
    expect(await redis.exists(`${keys.prefix}:user:{tagged}`)).toBe(1);
  });

  it('drops the vector field (not just its value) when a CAS write has none', async () => {
    await store.casMany([{ state: state('u-drop', { watermark: { partition: 1, offset: '1' } }), expected: null }]);
    const erased = state('u-drop', { vector: null, erased: true, watermark: { partition: 1, offset: '2' } });
    await store.casMany([{ state: erased, expected: { partition: 1, offset: '1' } }]);
    expect(await redis.hexists(keys.user('u-drop'), 'v')).toBe(0);
    expect((await store.getMany(['u-drop'])).get('u-drop')?.vector).toBeNull();
  });
});
