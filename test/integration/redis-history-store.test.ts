import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { historyKey, RedisHistoryStore } from '../../services/adapters/redis/redis-history-store.js';
import type { InterestSnapshot } from '../../services/domain/ports/index.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import type { RedisClient } from '../../services/adapters/redis/redis-client.js';

function snap(userId: string, window: number, x: number): InterestSnapshot {
  return {
    userId,
    vector: new Float32Array([x, Math.sqrt(1 - x * x)]),
    takenAt: window * 60_000,
    eventCount: window,
    watermarkPartition: 0,
    watermarkOffset: String(window),
    generation: 'g1',
    window,
  };
}

describe('RedisHistoryStore', () => {
  let redis: RedisClient;
  let keys: RedisKeys;
  let store: RedisHistoryStore;

  beforeAll(() => {
    redis = testRedis();
    keys = new RedisKeys(unique('hist'), 'g1');
    store = new RedisHistoryStore(redis, keys, 3);
  });
  afterAll(() => cleanUp(redis, keys.prefix));

  it('returns the newest n snapshots oldest first, vectors bit-exact', async () => {
    await store.append(snap('u1', 1, 0.6));
    await store.append(snap('u1', 2, 0.8));
    const back = await store.recent('u1', 5);
    expect(back).toEqual([snap('u1', 1, 0.6), snap('u1', 2, 0.8)]);
    expect(back[0]!.vector).toBeInstanceOf(Float32Array);
    expect((await store.recent('u1', 1)).map((s) => s.window)).toEqual([2]);
    expect(await store.recent('nobody', 5)).toEqual([]);
  });

  it('is idempotent per (userId, window): a redelivered snapshot replaces, never duplicates', async () => {
    await store.append(snap('u2', 7, 0.1));
    await store.append(snap('u2', 7, 0.2));
    await store.append(snap('u2', 7, 0.2));
    expect(await store.recent('u2', 10)).toEqual([snap('u2', 7, 0.2)]);
  });

  it('keeps windows in order when they arrive out of order, and only the last H', async () => {
    for (const w of [5, 2, 9, 4, 7]) await store.append(snap('u3', w, w / 10));
    expect((await store.recent('u3', 10)).map((s) => s.window)).toEqual([5, 7, 9]);
    // An older window than all kept ones is dropped at once.
    await store.append(snap('u3', 1, 0.5));
    expect((await store.recent('u3', 10)).map((s) => s.window)).toEqual([5, 7, 9]);
  });

  it('keeps the list under the user hash tag and delete reports how many were removed', async () => {
    await store.append(snap('u4', 1, 0.3));
    await store.append(snap('u4', 2, 0.3));
    expect(historyKey(keys, 'u4')).toBe(`${keys.prefix}:history:{u4}`);
    expect(await redis.llen(historyKey(keys, 'u4'))).toBe(2);
    expect(await store.delete('u4')).toBe(2);
    expect(await store.recent('u4', 5)).toEqual([]);
    expect(await store.delete('u4')).toBe(0);
  });
});
