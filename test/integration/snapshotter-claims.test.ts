import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { emptyUserState } from '../../services/domain/fold.js';
import type { UserState } from '../../services/domain/types.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import { frameRecord, recordFor, unframeRecords } from '../../services/core/history-records.js';
import { RedisSnapshotClaims } from '../../services/adapters/redis/redis-snapshot-claims.js';
import { unique } from '../support/names.js';
import { cleanUp, testRedis } from '../support/test-redis.js';

/** The per-user claim protocol on a real Redis: what a second instance, or one resuming a crash, sees. */
describe('snapshot claims', () => {
  const redis = testRedis();
  const keys = new RedisKeys(unique('claims'), 'g1');
  const states = new RedisUserStateStore(redis, keys);
  const claims = new RedisSnapshotClaims(redis, keys);
  let offset = 0;

  /** Writes the user's next state (one more event) as ingest would, and returns it with its framed snapshot. */
  async function nextState(userId: string, window: number): Promise<{ state: UserState; wm: string; frame: Buffer }> {
    const [before] = [...(await states.getMany([userId])).values()];
    const state: UserState = { ...emptyUserState(userId), vector: Float32Array.of(1, 0), eventCount: ++offset, watermark: { partition: 0, offset: String(offset) } };
    expect((await states.casMany([{ state, expected: before?.watermark ?? null }]))[0]!.ok).toBe(true);
    return { state, wm: `0:${offset}`, frame: frameRecord(recordFor(state, window, 'g1', offset)!) };
  }

  beforeAll(() => redis.ping());
  afterAll(() => cleanUp(redis, keys.prefix));

  it('lets only one instance claim a (user, window); the other sees it done until the next window', async () => {
    const s = await nextState('a', 10);
    expect(await claims.claim('a', 10, s.wm, 'one', s.frame)).toEqual({ status: 'send', records: s.frame, window: 10, watermark: s.wm });
    expect(await claims.confirm('a', 'one', 10)).toBe(true);
    const later = await nextState('a', 10);
    expect((await claims.claim('a', 10, later.wm, 'two', later.frame)).status).toBe('done');
    expect((await claims.claim('a', 11, later.wm, 'two', later.frame)).status).toBe('send');
  });

  it('refuses a claim made from a state that moved on since it was read', async () => {
    const s = await nextState('b', 10);
    await nextState('b', 10);
    expect(await claims.claim('b', 10, s.wm, 'one', s.frame)).toEqual({ status: 'moved' });
  });

  it('reports an unchanged user once its snapshot is confirmed', async () => {
    const s = await nextState('c', 10);
    await claims.claim('c', 10, s.wm, 'one', s.frame);
    await claims.confirm('c', 'one', 10);
    expect(await claims.claim('c', 11, s.wm, 'two', s.frame)).toEqual({ status: 'unchanged' });
  });

  it('resends the exact pending bytes when resuming in the same window, never a second version', async () => {
    const s = await nextState('d', 10);
    await claims.claim('d', 10, s.wm, 'crashed', s.frame);
    const newer = await nextState('d', 10);
    const resumed = await claims.claim('d', 10, newer.wm, 'resumer', newer.frame);
    expect(resumed).toEqual({ status: 'send', records: s.frame, window: 10, watermark: s.wm });
    expect(await claims.confirm('d', 'crashed', 10)).toBe(false);
    expect(await claims.confirm('d', 'resumer', 10)).toBe(true);
    expect((await claims.claim('d', 11, newer.wm, 'resumer', newer.frame)).status).toBe('send');
  });

  it('carries a pending snapshot of an earlier window in front of the new one, so neither window is lost', async () => {
    const s = await nextState('e', 10);
    await claims.claim('e', 10, s.wm, 'crashed', s.frame);
    const newer = await nextState('e', 12);
    const resumed = await claims.claim('e', 12, newer.wm, 'resumer', newer.frame);
    expect(resumed.status).toBe('send');
    if (resumed.status !== 'send') return;
    expect(unframeRecords('e', resumed.records).map((r) => r.value)).toEqual([unframeRecords('e', s.frame)[0]!.value, unframeRecords('e', newer.frame)[0]!.value]);
    expect(resumed.window).toBe(12);
    expect(await claims.confirm('e', 'resumer', 12)).toBe(true);
    expect(await claims.lastWindow('e')).toBe(12);
  });
});
