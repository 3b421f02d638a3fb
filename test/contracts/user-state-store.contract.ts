/**
 * The UserStateStore conformance suite: the Redis adapter and the in-memory fake run it unchanged.
 * Every test uses user ids of its own, so one store (one key prefix) serves the whole suite.
 */
import { describe, expect, it } from 'vitest';
import type { UserStateStore } from '../../services/domain/ports/index.js';
import type { UserState, Watermark } from '../../services/domain/types.js';
import { unique } from '../support/names.js';

/** A full state: every field set, a multi-interest vector, an offset beyond 2^53. */
export function fullState(userId: string, over: Partial<UserState> = {}): UserState {
  return {
    userId,
    vector: new Float32Array([0.6, -0.8, 0]),
    interests: [{ vector: new Float32Array([0, 1, 0]), importance: 2.5, updatedAt: 1_700_000_000_000 }],
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

/** The tombstone an erasure leaves: no vector, no history, only the watermark and the flag. */
function tombstone(userId: string, watermark: Watermark): UserState {
  return fullState(userId, { vector: null, interests: [], recentViews: [], seen: [], disliked: [], recentEventIds: [], eventCount: 0, degenerateUpdates: 0, erased: true, watermark });
}

const at = (offset: string, partition = 0): Watermark => ({ partition, offset });

export function describeUserStateStoreContract(name: string, make: () => UserStateStore): void {
  describe(`UserStateStore contract: ${name}`, () => {
    it('round-trips a state exactly: vector and interests bit-identical, offsets beyond 2^53 intact', async () => {
      const store = make();
      const id = unique('u');
      const s = fullState(id);
      await store.putMany([s]);
      const back = (await store.getMany([id, unique('nobody')])).get(id)!;
      expect(back).toEqual(s);
      expect(back.vector).toBeInstanceOf(Float32Array);
      expect(Buffer.from(back.vector!.buffer).equals(Buffer.from(s.vector!.buffer))).toBe(true);
      expect(back.interests[0]!.vector).toEqual(new Float32Array([0, 1, 0]));
    });

    it('reports a user it does not hold as absent, not as an empty state', async () => {
      const store = make();
      expect(await store.getMany([unique('nobody')])).toEqual(new Map());
      expect(await store.getMany([])).toEqual(new Map());
    });

    it('keeps what was written: changing the caller’s arrays afterwards changes nothing stored', async () => {
      const store = make();
      const id = unique('u');
      const vector = new Float32Array([1, 0, 0]);
      await store.putMany([fullState(id, { vector })]);
      vector[0] = 42;
      const back = (await store.getMany([id])).get(id)!;
      expect(back.vector).toEqual(new Float32Array([1, 0, 0]));
      back.vector![1] = 7;
      expect((await store.getMany([id])).get(id)!.vector).toEqual(new Float32Array([1, 0, 0]));
    });

    it('stores a user without a vector (dislike-only) as such', async () => {
      const store = make();
      const id = unique('u');
      const s = fullState(id, { vector: null, interests: [], recentViews: [], seen: [] });
      await store.putMany([s]);
      expect((await store.getMany([id])).get(id)).toEqual(s);
    });

    it('compare-and-set writes only over the expected watermark and reports the current one otherwise', async () => {
      const store = make();
      const id = unique('u');
      const first = fullState(id, { watermark: at('10') });
      expect(await store.casMany([{ state: first, expected: null }])).toEqual([{ ok: true }]);
      const next = fullState(id, { watermark: at('12'), eventCount: 6 });
      // A zombie consumer that read nothing, or an older state, loses and learns where the store is.
      expect(await store.casMany([{ state: next, expected: null }])).toEqual([{ ok: false, current: at('10') }]);
      expect(await store.casMany([{ state: next, expected: at('9') }])).toEqual([{ ok: false, current: at('10') }]);
      expect(await store.casMany([{ state: next, expected: at('10', 1) }])).toEqual([{ ok: false, current: at('10') }]);
      expect((await store.getMany([id])).get(id)).toEqual(first);
      expect(await store.casMany([{ state: next, expected: at('10') }])).toEqual([{ ok: true }]);
      expect((await store.getMany([id])).get(id)).toEqual(next);
    });

    it('refuses a compare-and-set that expects a state the store does not hold, reporting none', async () => {
      const store = make();
      const id = unique('u');
      expect(await store.casMany([{ state: fullState(id), expected: at('3') }])).toEqual([{ ok: false, current: null }]);
      expect(await store.getMany([id])).toEqual(new Map());
    });

    it('gives one outcome per write, in the order written', async () => {
      const store = make();
      const [a, b, c] = [unique('a'), unique('b'), unique('c')];
      await store.putMany([fullState(b, { watermark: at('5') })]);
      const outcomes = await store.casMany([
        { state: fullState(a, { watermark: at('1') }), expected: null },
        { state: fullState(b, { watermark: at('6') }), expected: at('4') },
        { state: fullState(c, { watermark: at('2', 3) }), expected: null },
      ]);
      expect(outcomes).toEqual([{ ok: true }, { ok: false, current: at('5') }, { ok: true }]);
      const stored = await store.getMany([a, b, c]);
      expect([...stored].map(([id, s]) => [id, s.watermark])).toEqual([[a, at('1')], [b, at('5')], [c, at('2', 3)]]);
    });

    it('a compare-and-set to an erased state drops the vector and the interests', async () => {
      const store = make();
      const id = unique('u');
      await store.casMany([{ state: fullState(id, { watermark: at('1', 1) }), expected: null }]);
      const erased = tombstone(id, at('2', 1));
      expect(await store.casMany([{ state: erased, expected: at('1', 1) }])).toEqual([{ ok: true }]);
      const back = (await store.getMany([id])).get(id)!;
      expect(back).toEqual(erased);
      expect(back.vector).toBeNull();
      expect(back.interests).toEqual([]);
    });

    it('putMany writes unconditionally and whole: over a newer watermark, leaving nothing of the old state', async () => {
      const store = make();
      const id = unique('u');
      await store.putMany([fullState(id, { watermark: at('50') })]);
      const older = tombstone(id, at('7'));
      await store.putMany([older]);
      expect((await store.getMany([id])).get(id)).toEqual(older);
      // The next compare-and-set is against what putMany wrote.
      expect(await store.casMany([{ state: fullState(id, { watermark: at('8') }), expected: at('50') }])).toEqual([{ ok: false, current: at('7') }]);
    });

    it('delete forgets only the users named; a deleted user is written again from nothing', async () => {
      const store = make();
      const [d1, d2, kept] = [unique('d1'), unique('d2'), unique('kept')];
      await store.putMany([fullState(d1), fullState(d2), fullState(kept)]);
      await store.delete([d1, d2]);
      await store.delete([]);
      expect([...(await store.getMany([d1, d2, kept])).keys()]).toEqual([kept]);
      expect(await store.casMany([{ state: fullState(d1), expected: null }])).toEqual([{ ok: true }]);
    });

    it('start resolves, and close is idempotent: the same promise every time', async () => {
      const store = make();
      await store.start();
      const closing = store.close();
      expect(store.close()).toBe(closing);
      await closing;
    });
  });
}
