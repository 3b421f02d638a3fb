import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import type { UserState } from '../../services/domain/types.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import type { RedisClient } from '../../services/adapters/redis/redis-client.js';

function state(userId: string, over: Partial<UserState> = {}): UserState {
  return {
    userId,
    vector: new Float32Array([0.6, -0.8, 0]),
    interests: [],
    recentViews: ['a', 'b', 'a'],
    seen: ['b', 'a'],
    disliked: ['z'],
    recentEventIds: ['cbf29ce484222325', 'af63dc4c8601ec8c'],
    eventCount: 4,
    lastEventAt: 1_700_000_000_123,
    degenerateUpdates: 1,
    erased: false,
    watermark: { partition: 2, offset: '9007199254740993' },
    ...over,
  };
}

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

  it('round-trips a state exactly, vector bit-identical, offsets beyond 2^53 intact', async () => {
    const s = state('u-1');
    await store.putMany([s]);
    const back = (await store.getMany(['u-1', 'nobody'])).get('u-1');
    expect(back).toEqual(s);
    expect(Buffer.from(back!.vector!.buffer).equals(Buffer.from(s.vector!.buffer))).toBe(true);
    expect((await store.getMany(['nobody'])).size).toBe(0);
  });

  it('keeps every key of a user under its {userId} hash tag', async () => {
    await store.putMany([state('tagged')]);
    expect(await redis.exists(`${keys.prefix}:user:{tagged}`)).toBe(1);
  });

  it('stores a user without a vector (dislike-only or erased) as such', async () => {
    const s = state('u-novec', { vector: null, erased: true, recentViews: [], seen: [], disliked: [] });
    await store.putMany([s]);
    expect((await store.getMany(['u-novec'])).get('u-novec')).toEqual(s);
  });

  it('compare-and-set writes only over the expected watermark and reports the current one otherwise', async () => {
    const first = state('u-cas', { watermark: { partition: 0, offset: '10' } });
    expect(await store.casMany([{ state: first, expected: null }])).toEqual([{ ok: true }]);
    const next = state('u-cas', { watermark: { partition: 0, offset: '12' }, eventCount: 6 });
    // A zombie consumer that read nothing (or an older state) loses.
    expect(await store.casMany([{ state: next, expected: null }])).toEqual([{ ok: false, current: { partition: 0, offset: '10' } }]);
    expect((await store.getMany(['u-cas'])).get('u-cas')?.eventCount).toBe(4);
    expect(await store.casMany([{ state: next, expected: { partition: 0, offset: '10' } }])).toEqual([{ ok: true }]);
    expect((await store.getMany(['u-cas'])).get('u-cas')).toEqual(next);
  });

  it('drops the vector field when a CAS write has none', async () => {
    await store.casMany([{ state: state('u-drop', { watermark: { partition: 1, offset: '1' } }), expected: null }]);
    const erased = state('u-drop', { vector: null, erased: true, watermark: { partition: 1, offset: '2' } });
    await store.casMany([{ state: erased, expected: { partition: 1, offset: '1' } }]);
    expect(await redis.hexists(keys.user('u-drop'), 'v')).toBe(0);
    expect((await store.getMany(['u-drop'])).get('u-drop')?.vector).toBeNull();
  });

  it('deletes users', async () => {
    await store.putMany([state('d1'), state('d2')]);
    await store.delete(['d1', 'd2']);
    expect((await store.getMany(['d1', 'd2'])).size).toBe(0);
  });
});
