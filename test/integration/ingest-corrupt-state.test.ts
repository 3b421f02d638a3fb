import { describe, expect, it } from 'vitest';
import { RedisKeys, usersCollection } from '../../services/core/names.js';
import { toUserPoint } from '../../services/core/user-record.js';
import { eventually } from '../support/eventually.js';
import { ingestSuite } from '../support/ingest-harness.js';
import { maxAbsDiff, referenceFold, type RefEvent } from '../support/reference-fold.js';
import { workload } from '../support/workload.js';

const view = (eventId: string, userId: string, itemId: string): RefEvent => ({ eventId, userId, itemId, type: 'VIEW', weight: 1 });

describe('ingest: no stored value stops a partition', () => {
  const w = workload({ seed: 12, items: 6, users: 1, events: 0, dimension: 8 });
  const suite = ingestSuite(w.items, { partitions: 1 });
  const { h } = suite;

  it('replaces an undecodable Redis state from the durable store and resets an undecodable durable one', async () => {
    const ingest = await suite.startIngest();
    const first = [view('a1', 'u-a', 'item-1'), view('b1', 'u-b', 'item-2')];
    await h.publisher.publish(first);
    await h.drained();
    await eventually(async () => (await h.durableStates(['u-a', 'u-b'])).size === 2);

    const keys = new RedisKeys(h.config.redisPrefix, h.config.generation);
    // u-a: a state body in a format this version does not know, in Redis only.
    await h.redis.hset(keys.user('u-a'), 's', Buffer.from([9, 1, 2, 3]));
    // u-b: gone from Redis, and its durable point is garbage.
    await h.redis.del(keys.user('u-b'));
    const durableB = toUserPoint((await h.durableStates(['u-b'])).get('u-b')!, 8);
    await h.store.upsert(usersCollection(h.config.generation), [{ ...durableB, payload: { ...durableB.payload, state: Buffer.from('garbage').toString('base64') } }]);

    const second = [view('a2', 'u-a', 'item-3'), view('b2', 'u-b', 'item-4'), view('c1', 'u-c', 'item-5')];
    await h.publisher.publish(second);
    await h.drained();

    const states = await h.hotStates(['u-a', 'u-b', 'u-c']);
    const ref = referenceFold([first[0]!, ...second], w.items);
    expect(states.get('u-a')!.eventCount).toBe(2);
    expect(maxAbsDiff(states.get('u-a')!.vector!, ref.get('u-a')!.vector!)).toBeLessThanOrEqual(1e-6);
    // u-b lost its history with its only durable copy, and starts again from b2.
    expect(states.get('u-b')!.eventCount).toBe(1);
    expect(maxAbsDiff(states.get('u-b')!.vector!, ref.get('u-b')!.vector!)).toBeLessThanOrEqual(1e-6);
    expect(states.get('u-c')!.eventCount).toBe(1);
    const corrupt = (await ingest.metrics.corruptStates.get()).values.map((v) => [v.labels.source, v.value]);
    expect(Object.fromEntries(corrupt)).toEqual({ redis: 1, durable: 1 });
  });
});
