import { describe, expect, it } from 'vitest';
import { InterestStreamError } from '../../../services/domain/errors.js';
import { decodeSnapshot } from '../../../services/core/events.js';
import { toUserPoint } from '../../../services/core/user-record.js';
import { emptyUserState } from '../../../services/domain/fold.js';
import type { UserState } from '../../../services/domain/types.js';
import type { HistoryRecord } from '../../../services/core/history-records.js';
import { EventOpener, EventSealer, SEALED_REASON_HEADER } from '../../../services/domain/shred/shredding.js';
import { InMemoryUserKeyStore } from '../../../services/adapters/memory/memory-user-key-store.js';
import { ParkingLot } from '../../../services/ingest/parked-events.js';
import { StateTrust } from '../../../services/ingest/state-trust.js';
import type { RefEvent } from '../../support/reference-fold.js';
import { mismatches } from '../../support/state-checks.js';
import { ITEMS, T0, TOPIC, USERS, batchWorld, ev, record, records, type Ev } from './batch-world.js';

const at = (userId: string, offset: number, fields: Partial<UserState> = {}): UserState => ({
  ...emptyUserState(userId),
  eventCount: offset + 1,
  lastEventAt: T0 + offset,
  watermark: { partition: 0, offset: String(offset) },
  ...fields,
});

/** What the reference fold (test/support, independent of services/domain) makes of these events, compared with `states`. */
function refCheck(states: ReadonlyMap<string, UserState>, events: readonly Ev[]): string[] {
  return mismatches(states, events.map((e) => ({ weight: 1, ...e }) as RefEvent), ITEMS);
}

const storeDown = () => new InterestStreamError('STORE_UNAVAILABLE', 'connection reset');

describe('folding a batch', () => {
  it('folds each user’s events in offset order into Redis, with exact vectors', async () => {
    const w = await batchWorld();
    const result = await w.process(records([ev('e0', 'x', 'VIEW', 'a'), ev('e1', 'y', 'DISLIKE', 'd'), ev('e2', 'x', 'VIEW', 'c'), ev('e3', 'y', 'VIEW', 'f')]));
    expect(result).toMatchObject({ applied: 4, duplicates: 0, deadLettered: 0, users: 2 });
    // x: a, then normalize(.2·c + .8·a) = (.92, .16, 0)/√.872.
    const x = (await w.redis('x'))!;
    expect(Array.from(x.vector!)).toEqual([expect.closeTo(0.92 / Math.sqrt(0.872), 6), expect.closeTo(0.16 / Math.sqrt(0.872), 6), 0]);
    expect(x).toMatchObject({ eventCount: 2, recentViews: ['a', 'c'], seen: ['a', 'c'], disliked: [], lastEventAt: T0 + 2, watermark: { partition: 0, offset: '2' } });
    // y: a dislike with no vector yet only excludes d; the view then sets the vector.
    expect(await w.redis('y')).toMatchObject({ vector: Float32Array.of(0, 0, 1), eventCount: 2, disliked: ['d'], seen: ['f'], watermark: { partition: 0, offset: '3' } });
    expect(result.states.map((s) => s.userId)).toEqual(['x', 'y']);
    expect(await w.popularity.scores(['a', 'c', 'd', 'f'])).toEqual([expect.closeTo(1, 9), expect.closeTo(1, 9), 0, expect.closeTo(1, 9)]);
    expect(await w.takeDirty()).toEqual([
      ['x', '0:2'],
      ['y', '0:3'],
    ]);
    expect(await w.count('events', { outcome: 'applied' })).toBe(4);
    expect(w.letters).toEqual([]);
  });

  it('a redelivered batch is stale: nothing changes or counts twice, yet every user is returned and marked again', async () => {
    const w = await batchWorld();
    const batch = records([ev('e0', 'x', 'VIEW', 'a'), ev('e1', 'x', 'VIEW', 'c')]);
    const first = await w.process(batch);
    expect(await w.takeDirty()).toEqual([['x', '0:1']]);
    const again = await w.process(batch);
    expect(again).toMatchObject({ applied: 0, duplicates: 2, users: 1 });
    expect(again.states).toEqual(first.states);
    expect(await w.takeDirty()).toEqual([['x', '0:1']]);
    expect(await w.popularity.scores(['a', 'c'])).toEqual([expect.closeTo(1, 9), expect.closeTo(1, 9)]);
    expect(await w.count('events', { outcome: 'stale' })).toBe(2);
  });

  it('an event id seen before, at a new position, is a duplicate: counted nowhere, the watermark moves on', async () => {
    const w = await batchWorld();
    await w.process(records([ev('e0', 'x', 'VIEW', 'a')]));
    const result = await w.process([record(ev('e0', 'x', 'VIEW', 'c'), 7)]);
    expect(result).toMatchObject({ applied: 0, duplicates: 1 });
    expect(await w.redis('x')).toMatchObject({ eventCount: 1, recentViews: ['a'], watermark: { partition: 0, offset: '7' } });
    expect(await w.count('events', { outcome: 'duplicate' })).toBe(1);
  });
});

describe('dead letters', () => {
  it('dead-letters each event that cannot fold, with its reason and its bytes untouched, and folds the rest', async () => {
    const w = await batchWorld();
    const garbage = Buffer.from('not avro');
    const batch = [
      { partition: 2, offset: '10', key: Buffer.from('x'), value: garbage },
      { partition: 2, offset: '11', key: Buffer.from('x'), value: null },
      record(ev('e2', 'x', 'VIEW', 'unknown-item'), 12, 2),
      record(ev('e3', 'x', 'VIEW', 'w'), 13, 2),
      record(ev('e4', 'x', 'VIEW', 'a'), 14, 2),
    ];
    const result = await w.process(batch);
    expect(result).toMatchObject({ applied: 1, deadLettered: 4 });
    expect(w.letters.map((l) => [l.offset, l.error.code])).toEqual([
      ['10', 'DECODE_FAILED'],
      ['11', 'DECODE_FAILED'],
      ['12', 'UNKNOWN_ITEM'],
      ['13', 'DIMENSION_MISMATCH'],
    ]);
    expect(w.letters[0]).toMatchObject({ topic: TOPIC, partition: 2, key: Buffer.from('x'), value: garbage });
    expect(w.letters[1]!.error.message).toContain('tombstone');
    expect(w.letters[2]!.error.details).toEqual({ itemId: 'unknown-item' });
    expect(await w.redis('x')).toMatchObject({ eventCount: 1, recentViews: ['a'], watermark: { partition: 2, offset: '14' } });
    expect(await w.count('deadLetters', { reason: 'DECODE_FAILED' })).toBe(2);
  });

  it('dead-letters events stamped outside the accepted event-time window as INVALID_TIMESTAMP', async () => {
    const w = await batchWorld({ eventTime: { maxAgeMs: 3_600_000, maxSkewMs: 1_000 } });
    const now = Date.now();
    const result = await w.process([
      record({ ...ev('old', 'x', 'VIEW', 'a'), occurredAt: now - 2 * 3_600_000 }, 0),
      record({ ...ev('future', 'x', 'VIEW', 'a'), occurredAt: now * 1000 }, 1),
      record({ ...ev('fine', 'x', 'VIEW', 'c'), occurredAt: now }, 2),
    ]);
    expect(result).toMatchObject({ applied: 1, deadLettered: 2 });
    expect(w.letters.map((l) => [l.offset, l.error.code])).toEqual([
      ['0', 'INVALID_TIMESTAMP'],
      ['1', 'INVALID_TIMESTAMP'],
    ]);
    expect(await w.redis('x')).toMatchObject({ recentViews: ['c'] });
  });

  it('parks a user’s events from the first unknown item on, folds the rest; a retry past the park time dead-letters', async () => {
    const parking = new ParkingLot(60_000);
    const w = await batchWorld({ parking });
    const batch = records([ev('e0', 'x', 'VIEW', 'a'), ev('e1', 'x', 'VIEW', 'late'), ev('e2', 'x', 'VIEW', 'c'), ev('e3', 'y', 'VIEW', 'f')]);
    const result = await w.process(batch);
    expect(result).toMatchObject({ applied: 2, deadLettered: 0, users: 2 });
    expect(parking.size).toBe(2);
    expect(parking.lowestOffset(TOPIC, 0)).toBe(1n);
    expect(await w.redis('x')).toMatchObject({ recentViews: ['a'] });
    // Later events of a parked user wait behind it.
    await w.process([record(ev('e4', 'x', 'VIEW', 'f'), 4)]);
    expect(parking.size).toBe(3);
    // A retry while still waiting parks them again, keeping the clock; once expired, the unknown item goes to the DLQ.
    await w.processor.process(TOPIC, batch.slice(1, 3), { since: 1, attempts: 0 });
    expect(parking.size).toBe(5);
    const expired = await w.processor.process(TOPIC, batch.slice(1, 3), false);
    expect(expired).toMatchObject({ applied: 1, deadLettered: 1 });
    expect(w.letters.map((l) => [l.offset, l.error.code])).toEqual([['1', 'UNKNOWN_ITEM']]);
    expect(await w.redis('x')).toMatchObject({ recentViews: ['a', 'c'] });
  });
});

describe('loading users', () => {
  it('starts a user missing from Redis from the durable store, and writes it back even when the batch changes nothing', async () => {
    const w = await batchWorld();
    await w.durable(at('x', 4, { vector: Float32Array.of(0, 1, 0), eventCount: 5 }));
    const stale = await w.process([record(ev('old', 'x', 'VIEW', 'a'), 3)]);
    expect(stale).toMatchObject({ applied: 0, duplicates: 1 });
    expect(await w.redis('x')).toMatchObject({ eventCount: 5, watermark: { partition: 0, offset: '4' } });
    expect(await w.count('rehydrated')).toBe(1);
    await w.states.delete(['x']);
    await w.process([record(ev('new', 'x', 'VIEW', 'a'), 5)]);
    // normalize(.2·a + .8·d) = (.2, .8, 0)/√.68.
    expect(await w.redis('x')).toMatchObject({ eventCount: 6, vector: Float32Array.of(0.2 / Math.sqrt(0.68), 0.8 / Math.sqrt(0.68), 0) });
  });

  it('prefers a state still waiting for its durable write over the older durable record', async () => {
    const w = await batchWorld({ unflushed: (ids) => new Map(ids.map((id) => [id, at(id, 6, { eventCount: 7 })])) });
    await w.durable(at('x', 4));
    await w.process([record(ev('e', 'x', 'VIEW', 'a'), 7)]);
    expect(await w.redis('x')).toMatchObject({ eventCount: 8 });
  });

  it('a corrupt durable state is reported and the user starts afresh; with no reporter the batch fails', async () => {
    const corrupt = toUserPoint(at('x', 4, { eventCount: 5 }), 3, 0);
    const reports: Array<[string, string]> = [];
    const w = await batchWorld({ onCorruptState: (source, userId) => void reports.push([source, userId]) });
    await w.store.upsert(USERS, [{ ...corrupt, payload: { ...corrupt.payload, state: 'AAAA' } }]);
    await w.process([record(ev('e', 'x', 'VIEW', 'a'), 5)]);
    expect(reports).toEqual([['durable', 'x']]);
    expect(await w.redis('x')).toMatchObject({ eventCount: 1, watermark: { partition: 0, offset: '5' } });
    const strict = await batchWorld();
    await strict.store.upsert(USERS, [{ ...corrupt, payload: { ...corrupt.payload, state: 'AAAA' } }]);
    await expect(strict.process([record(ev('e', 'x', 'VIEW', 'a'), 5)])).rejects.toThrow(/unknown state format/);
    expect(await strict.redis('x')).toBeUndefined();
  });

  it('under the trust rule, a Redis state this process did not write loses to a newer durable one (Redis rewound)', async () => {
    const w = await batchWorld({ trust: new StateTrust(async () => 'node-1') });
    await w.states.putMany([at('x', 2, { eventCount: 3 })]);
    await w.durable(at('x', 4, { eventCount: 5 }));
    await w.process([record(ev('e', 'x', 'DISLIKE', 'a'), 5)]);
    expect(await w.redis('x')).toMatchObject({ eventCount: 6, watermark: { partition: 0, offset: '5' } });
    expect(await w.count('untrustedStates')).toBe(1);
  });

  it('a user no store knows but with an erase marker starts as the tombstone: their earlier events stay erased', async () => {
    const tombstone = at('x', 5, { eventCount: 0, erased: true });
    const w = await batchWorld({ markers: async (ids) => new Map(ids.filter((id) => id === 'x').map((id) => [id, tombstone])) });
    const result = await w.process(records([ev('e3', 'x', 'VIEW', 'a'), ev('e4', 'x', 'VIEW', 'c'), ev('e5', 'x', 'VIEW', 'd'), ev('e6', 'x', 'VIEW', 'f')], 3));
    expect(result).toMatchObject({ applied: 1, duplicates: 3 });
    expect(await w.redis('x')).toMatchObject({ erased: false, eventCount: 1, vector: Float32Array.of(0, 0, 1), recentViews: ['f'] });
  });
});

describe('reliability', () => {
  it('compare-and-set conflict: another writer moved the watermark; the batch re-reads and folds on top, its applied events stale', async () => {
    const w = await batchWorld();
    const events = [ev('e0', 'x', 'VIEW', 'a'), ev('e1', 'x', 'VIEW', 'c'), ev('e2', 'x', 'DISLIKE', 'f')];
    const batch = records(events);
    const zombie = w.another();
    const cas = w.states.casMany.bind(w.states);
    let raced = false;
    const owner = w.another({
      states: Object.assign(Object.create(w.states) as typeof w.states, {
        casMany: async (writes: Parameters<typeof cas>[0]) => {
          // Between the owner's read and its write, a zombie (the partition's previous owner) writes two of the events.
          if (!raced) {
            raced = true;
            await zombie.process(TOPIC, batch.slice(0, 2));
          }
          return cas(writes);
        },
      }),
    });
    const result = await owner.process(TOPIC, batch);
    expect(result).toMatchObject({ applied: 1, duplicates: 2 });
    expect(await w.count('casConflicts')).toBe(1);
    const x = (await w.redis('x'))!;
    expect(refCheck(new Map([['x', x]]), events)).toEqual([]);
    expect(x).toMatchObject({ eventCount: 3, watermark: { partition: 0, offset: '2' } });
  });

  it('when the compare-and-set keeps failing the batch fails retryably, sending none of its dead letters', async () => {
    const w = await batchWorld({ casAttempts: 3 });
    w.states.casMany = async (writes) => writes.map(() => ({ ok: false, current: { partition: 0, offset: '99' } }));
    const failing = w.process([...records([ev('e0', 'x', 'VIEW', 'a')]), record(ev('e1', 'x', 'VIEW', 'unknown'), 1)]);
    await expect(failing).rejects.toMatchObject({ code: 'CONFLICT', retryable: true });
    expect(await w.count('casConflicts')).toBe(3);
    expect(w.letters).toEqual([]);
    expect(await w.takeDirty()).toEqual([]);
  });

  it('durable store failing while loading: the batch fails (retryable or not, as the store said), nothing is written; redelivered, it folds once', async () => {
    const w = await batchWorld();
    const batch = records([ev('e0', 'x', 'VIEW', 'a'), ev('e1', 'x', 'VIEW', 'c')]);
    w.store.failNext('get', storeDown(), USERS);
    await expect(w.process(batch)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    w.store.failNext('get', new InterestStreamError('INTERNAL', 'bad response'), USERS);
    await expect(w.process(batch)).rejects.toMatchObject({ code: 'INTERNAL', retryable: false });
    expect(await w.redis('x')).toBeUndefined();
    expect(await w.popularity.top(5)).toEqual([]);
    expect(await w.takeDirty()).toEqual([]);
    expect(await w.process(batch)).toMatchObject({ applied: 2 });
    expect(refCheck(new Map([['x', (await w.redis('x'))!]]), [ev('e0', 'x', 'VIEW', 'a'), ev('e1', 'x', 'VIEW', 'c')])).toEqual([]);
  });

  it('Redis failing mid-batch after applying the write (reply lost): redelivered, the batch is stale and nothing counts twice', async () => {
    const w = await batchWorld();
    const events = [ev('e0', 'x', 'VIEW', 'a'), ev('e1', 'y', 'VIEW', 'c'), ev('e2', 'x', 'VIEW', 'd')];
    const batch = records(events);
    const cas = w.states.casMany.bind(w.states);
    w.states.casMany = async (writes) => {
      await cas(writes);
      throw storeDown();
    };
    await expect(w.process(batch)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(w.letters).toEqual([]);
    w.states.casMany = cas;
    const again = await w.process(batch);
    expect(again).toMatchObject({ applied: 0, duplicates: 3, users: 2 });
    const redis = await w.states.getMany(['x', 'y']);
    expect(refCheck(redis, events)).toEqual([]);
    expect(await w.popularity.scores(['a', 'c', 'd'])).toEqual([expect.closeTo(1, 9), expect.closeTo(1, 9), expect.closeTo(1, 9)]);
    expect(await w.takeDirty()).toEqual([
      ['x', '0:2'],
      ['y', '0:1'],
    ]);
  });

  it('Redis failing on read: the batch fails retryably before anything is folded', async () => {
    const w = await batchWorld();
    w.states.getMany = async () => {
      throw storeDown();
    };
    await expect(w.process(records([ev('e0', 'x', 'VIEW', 'a')]))).rejects.toMatchObject({ retryable: true });
    expect(await w.popularity.top(5)).toEqual([]);
  });
});

describe('erasure', () => {
  it('an ERASE leaves the tombstone, hands the erasure to the finisher, and the user is not marked for snapshots', async () => {
    const w = await batchWorld();
    const result = await w.process(records([ev('e0', 'x', 'VIEW', 'a'), ev('erase-1', 'x', 'ERASE'), ev('e2', 'y', 'VIEW', 'c')]));
    expect(result).toMatchObject({ applied: 3 });
    expect(await w.redis('x')).toMatchObject({ erased: true, vector: null, eventCount: 0, seen: [], recentViews: [], lastEventAt: T0 + 1, watermark: { partition: 0, offset: '1' } });
    expect(w.erases).toEqual([{ erasureId: 'erase-1', userId: 'x', watermark: { partition: 0, offset: '1' }, at: T0 + 1 }]);
    expect(await w.takeDirty()).toEqual([['y', '0:2']]);
  });

  it('after an ERASE, an event stamped before it never brings the user back; one after it does', async () => {
    const w = await batchWorld();
    await w.process([record(ev('e0', 'x', 'VIEW', 'a'), 0), record({ ...ev('erase-1', 'x', 'ERASE'), occurredAt: T0 + 10 }, 1)]);
    // Redelivered on another partition (no offset order there): stamped before the erasure.
    const before = await w.process([record({ ...ev('e0-again', 'x', 'VIEW', 'a'), occurredAt: T0 + 5 }, 0, 1)]);
    expect(before).toMatchObject({ applied: 0, duplicates: 1 });
    expect(await w.redis('x')).toMatchObject({ erased: true, vector: null });
    await w.process([record({ ...ev('e3', 'x', 'VIEW', 'c'), occurredAt: T0 + 20 }, 2)]);
    expect(await w.redis('x')).toMatchObject({ erased: false, eventCount: 1, recentViews: ['c'] });
  });
});

describe('shred mode (sealed events)', () => {
  it('folds sealed events; once the user’s keys are gone their events are skipped, never dead-lettered; an ERASE’s own key goes after its fold', async () => {
    const keys = new InMemoryUserKeyStore();
    const sealer = new EventSealer(keys, 'secret');
    const w = await batchWorld({ opener: new EventOpener(keys) });
    const sealed = async (e: Ev, offset: number, eraseId?: string) => {
      const plain = record(e, offset);
      const [m] = await sealer.seal([{ userId: e.userId, value: plain.value!, eraseId }]);
      return { ...plain, key: Buffer.from(m!.key), value: m!.value };
    };
    const view = await sealed(ev('e0', 'x', 'VIEW', 'a'), 0);
    expect(await w.process([view, await sealed(ev('e1', 'x', 'VIEW', 'nope'), 1)])).toMatchObject({ applied: 1, deadLettered: 1 });
    // The reason names the item: it is sealed with the user's key, the readable message keeps the code only.
    expect(w.letters[0]!.error.message).toBe(`UNKNOWN_ITEM: the reason is sealed with the user's key in ${SEALED_REASON_HEADER}`);
    expect(w.letters[0]!.headers).toHaveProperty(SEALED_REASON_HEADER);
    // Sealing an ERASE deletes the user's keys: the redelivered view can no longer be read.
    const erase = await sealed(ev('erase-1', 'x', 'ERASE'), 2, 'erase-1');
    expect(await w.process([view, erase])).toMatchObject({ applied: 1, deadLettered: 0 });
    expect(await w.count('shredded')).toBe(1);
    expect(await w.redis('x')).toMatchObject({ erased: true });
    expect(await w.process([erase])).toMatchObject({ applied: 0, duplicates: 0, deadLettered: 0, users: 0 });
    expect(await w.count('shredded')).toBe(2);
  });
});

describe('history', () => {
  it('snapshots the state at each event-time window the batch closes, unless the snapshotter already has that window', async () => {
    const sent: HistoryRecord[] = [];
    const emitted = new Map<string, number>();
    const w = await batchWorld({ history: { intervalMs: 1000, generation: 'g1', emitted: async () => emitted, send: async (r) => void sent.push(...r) } });
    const stamped = (e: Ev, ms: number) => ({ ...e, occurredAt: ms });
    await w.process([record(stamped(ev('e0', 'x', 'VIEW', 'a'), 500), 0), record(stamped(ev('e1', 'x', 'VIEW', 'c'), 1500), 1), record(stamped(ev('e2', 'x', 'VIEW', 'd'), 2500), 2)]);
    const snapshots = sent.map((r) => decodeSnapshot(r.value!));
    expect(snapshots.map((s) => [s.window, s.takenAt, s.eventCount, s.watermarkOffset])).toEqual([
      [0, 999, 1, '0'],
      [1, 1999, 2, '1'],
    ]);
    expect(Array.from(snapshots[0]!.vector)).toEqual([1, 0, 0]);
    expect(await w.count('historyRecords')).toBe(2);
    emitted.set('y', 0);
    sent.length = 0;
    await w.process([record(stamped(ev('e3', 'y', 'VIEW', 'a'), 500), 3), record(stamped(ev('e4', 'y', 'VIEW', 'c'), 1500), 4), record(stamped(ev('e5', 'y', 'VIEW', 'd'), 2500), 5)]);
    expect(sent.map((r) => decodeSnapshot(r.value!).window)).toEqual([1]);
  });
});
