import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { emptyUserState } from '../../services/domain/fold.js';
import { RedisErasures } from '../../services/adapters/redis/redis-erasures.js';
import { tombstoneOf } from '../../services/domain/tombstone.js';
import { RedisUserPurge } from '../../services/adapters/redis/redis-user-purge.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';
import type { RedisClient } from '../../services/adapters/redis/redis-client.js';

/** Offsets beyond 2^53: the Lua scripts must compare them as decimal strings, not as doubles. */
const BIG = '9007199254740993';
const BIGGER = '9007199254740994';

describe('Redis erase markers, erasure records and the purge', () => {
  let redis: RedisClient;
  let root: string;
  let keys: RedisKeys;
  let erasures: RedisErasures;

  beforeAll(() => {
    redis = testRedis();
    root = unique('erasures');
    keys = new RedisKeys(root, 'g1');
    erasures = new RedisErasures(redis, root, 60_000);
  });
  afterAll(async () => {
    await cleanUp(redis, root);
  });

  // The port's rules (markers, pending → complete) are the Erasures contract (test/contracts/erasures.contract.ts); here what Redis holds.
  it('keeps an erasure pending until complete, then drops the user id; folding an unknown erasure creates nothing', async () => {
    await erasures.request('e-1', 'who', 1_000);
    expect(await erasures.status('e-1')).toEqual({ erasureId: 'e-1', status: 'pending', requestedAt: 1_000, foldedAt: null, completedAt: null });
    await erasures.folded('e-1', 1_100);
    await erasures.folded('e-1', 1_150);
    expect(await erasures.status('e-1')).toMatchObject({ status: 'pending', foldedAt: 1_100 });
    await erasures.complete('e-1', 1_200);
    expect(await erasures.status('e-1')).toEqual({ erasureId: 'e-1', status: 'complete', requestedAt: 1_000, foldedAt: 1_100, completedAt: 1_200 });
    expect(await redis.hgetall(RedisKeys.erasure(root, 'e-1'))).toEqual({ requestedAt: '1000', foldedAt: '1100', completedAt: '1200' });
    expect(await redis.pttl(RedisKeys.erasure(root, 'e-1'))).toBeGreaterThan(50_000);
    await erasures.complete('e-2', 1_300);
    expect(await erasures.status('e-2')).toBeUndefined();
    expect(await redis.exists(RedisKeys.erasure(root, 'e-2'))).toBe(0);
  });

  it('puts the tombstone over an older state only, and always drops the claim and the history list', async () => {
    const states = new RedisUserStateStore(redis, keys);
    const purge = new RedisUserPurge(redis, keys, 4);
    const tombstone = tombstoneOf({ userId: 'p', watermark: { partition: 0, offset: BIG }, at: 7_000 });
    const live = { ...emptyUserState('p'), vector: new Float32Array([1, 0]), eventCount: 3, watermark: { partition: 0, offset: '9007199254740992' } };
    await states.putMany([live]);
    await redis.hset(keys.snapshotClaim('p'), 'pr', 'pending vector bytes');
    expect(await purge.purge(tombstone)).toEqual({ hadState: true, historySnapshots: 0 });
    expect((await states.getMany(['p'])).get('p')).toEqual(tombstone);
    expect(await redis.exists(keys.snapshotClaim('p'))).toBe(0);
    // The user came back after the erasure (a later position): a late purge leaves them be.
    const back = { ...live, watermark: { partition: 0, offset: BIGGER } };
    await states.putMany([back]);
    expect(await purge.purge(tombstone)).toMatchObject({ hadState: true });
    expect((await states.getMany(['p'])).get('p')!.watermark).toEqual({ partition: 0, offset: BIGGER });
  });
});
