import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { ErrorCode } from '../../../services/domain/errors.js';
import { eventIdHash } from '../../../services/domain/event-id.js';
import {
  compareWatermark,
  emptyUserState,
  foldEvent,
  foldEvents,
  isNewer,
  type FoldInput,
} from '../../../services/domain/fold.js';
import { DEFAULT_FOLD_PARAMS, type EventType, type FoldParams, type UserState } from '../../../services/domain/types.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const PARAMS: FoldParams = { ...DEFAULT_FOLD_PARAMS, dimension: 3 };
const USER = 'user-1';

interface EventSpec {
  type?: EventType | string;
  itemId?: string;
  item?: Float32Array | null;
  weight?: number;
  eventId?: string;
  partition?: number;
  offset?: number;
  occurredAt?: number;
}

/** Events at increasing offsets on partition 0 unless told otherwise. */
function eventStream() {
  let offset = 0;
  return (spec: EventSpec): FoldInput => {
    const at = spec.offset ?? ++offset;
    return {
      event: {
        eventId: spec.eventId ?? `e-${at}-${spec.partition ?? 0}`,
        userId: USER,
        itemId: spec.itemId ?? 'item',
        type: (spec.type ?? 'VIEW') as EventType,
        occurredAt: spec.occurredAt ?? 1_000 + at,
        weight: spec.weight ?? 1,
      },
      item: spec.item === undefined ? f32(1, 0, 0) : spec.item,
      watermark: { partition: spec.partition ?? 0, offset: String(at) },
    };
  };
}

function run(inputs: FoldInput[], params: FoldParams = PARAMS, state: UserState = emptyUserState(USER)): UserState {
  return inputs.reduce((s, input) => foldEvent(s, input, params).state, state);
}

function expectVector(actual: Float32Array | null, expected: number[]): void {
  expect(actual).not.toBeNull();
  expect(actual!.length).toBe(expected.length);
  expected.forEach((x, i) => expect(actual![i]).toBeCloseTo(x, 7));
}

/** Matches an InterestStreamError with this code (and these other fields). */
const coded = (code: ErrorCode, fields: object = {}) => expect.objectContaining({ name: 'InterestStreamError', code, ...fields });

function fnv1a64Reference(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(s, 'utf8')) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

describe('eventIdHash', () => {
  it('matches the published FNV-1a 64 test vectors', () => {
    expect(eventIdHash('')).toBe('cbf29ce484222325');
    expect(eventIdHash('a')).toBe('af63dc4c8601ec8c');
    expect(eventIdHash('foobar')).toBe('85944171f73967e8');
  });

  it('hashes the UTF-8 bytes of any string, as a BigInt reference does', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => eventIdHash(s) === fnv1a64Reference(s)));
    expect(eventIdHash('évènement-😀')).toBe(fnv1a64Reference('évènement-😀'));
  });

  it('hashes a lone surrogate as U+FFFD, as Node encodes it', () => {
    expect(eventIdHash('x\ud800y')).toBe(eventIdHash('x\ufffdy'));
  });
});

describe('compareWatermark and isNewer', () => {
  const at = (partition: number, offset: string) => ({ partition, offset });

  it('treats every event as new for a state without a watermark', () => {
    expect(compareWatermark(at(0, '0'), null)).toBe(1);
    expect(isNewer(at(0, '0'), null)).toBe(true);
  });

  it('compares offsets on one partition as 64-bit integers, not as strings or doubles', () => {
    expect(compareWatermark(at(3, '10'), at(3, '9'))).toBe(1);
    expect(compareWatermark(at(3, '9007199254740993'), at(3, '9007199254740992'))).toBe(1);
    expect(compareWatermark(at(3, '7'), at(3, '7'))).toBe(0);
    expect(compareWatermark(at(3, '6'), at(3, '7'))).toBe(-1);
    expect(isNewer(at(3, '7'), at(3, '7'))).toBe(false);
  });

  it('orders a short offset (read as a number) against a long one (read as a bigint), leading zeros included', () => {
    expect(compareWatermark(at(3, '999999999999999'), at(3, '1000000000000000'))).toBe(-1);
    expect(compareWatermark(at(3, '10000000000000000'), at(3, '999999999999999'))).toBe(1);
    expect(compareWatermark(at(3, '0000000000000000007'), at(3, '7'))).toBe(0);
    expect(compareWatermark(at(3, '08'), at(3, '7'))).toBe(1);
  });

  it('cannot order different partitions and leaves the decision to de-duplication', () => {
    expect(compareWatermark(at(1, '0'), at(2, '100'))).toBeNull();
    expect(isNewer(at(1, '0'), at(2, '100'))).toBe(true);
  });

  it('rejects an offset that is not a non-negative integer', () => {
    expect(() => compareWatermark(at(0, 'abc'), at(0, '1'))).toThrow(coded('INVALID_INPUT'));
    expect(() => compareWatermark(at(0, ''), at(0, '1'))).toThrow(coded('INVALID_INPUT'));
    expect(() => compareWatermark(at(0, '1'), at(0, '-1'))).toThrow(coded('INVALID_INPUT'));
    expect(() => compareWatermark(at(0, '1 '), at(0, '1'))).toThrow(coded('INVALID_INPUT'));
  });
});

describe('foldEvent: VIEW', () => {
  it('starts a new user at the normalised item vector (cold start) and records the view', () => {
    const next = eventStream();
    const input = next({ itemId: 'a', item: f32(3, 4, 0), occurredAt: 5_000 });
    const step = foldEvent(emptyUserState(USER), input, PARAMS);
    expect(step.outcome).toBe('applied');
    expect(Array.from(step.state.vector!)).toEqual([Math.fround(0.6), Math.fround(0.8), 0]);
    expect(step.state).toMatchObject({
      recentViews: ['a'],
      seen: ['a'],
      eventCount: 1,
      lastEventAt: 5_000,
      watermark: { partition: 0, offset: '1' },
      recentEventIds: [eventIdHash(input.event.eventId)],
      erased: false,
    });
  });

  it('moves the vector by the EMA rule, normalising a non-unit item first', () => {
    const next = eventStream();
    const params = { ...PARAMS, alpha: 0.5 };
    const state = run([next({ item: f32(1, 0, 0) }), next({ item: f32(0, 2, 0) })], params);
    expectVector(state.vector, [Math.SQRT1_2, Math.SQRT1_2, 0]);
  });

  it('scales alpha by the event weight: alpha 0.2, weight 0.5 gives a = 0.1', () => {
    const next = eventStream();
    const state = run([next({ item: f32(1, 0, 0) }), next({ item: f32(0, 5, 0), weight: 0.5 })]);
    const n = Math.sqrt(0.9 * 0.9 + 0.1 * 0.1);
    expectVector(state.vector, [0.9 / n, 0.1 / n, 0]);
  });

  it('clamps alpha·weight at 1, so a heavy view replaces the vector with the item direction', () => {
    const next = eventStream();
    const state = run([next({ item: f32(1, 0, 0) }), next({ item: f32(0, 0, 4), weight: 50 })]);
    expectVector(state.vector, [0, 0, 1]);
  });

  it('keeps the vector and counts a degenerate update when the EMA would collapse to zero', () => {
    const next = eventStream();
    const params = { ...PARAMS, alpha: 0.5 };
    const first = run([next({ itemId: 'a', item: f32(0, 1, 0) })], params);
    const step = foldEvent(first, next({ itemId: 'b', item: f32(0, -3, 0) }), params);
    expect(step.outcome).toBe('degenerate');
    expect(step.state.vector).toBe(first.vector);
    expect(step.state).toMatchObject({ degenerateUpdates: 1, eventCount: 2, recentViews: ['a', 'b'], seen: ['a', 'b'] });
  });

  it('keeps the last N views with repeats, and distinct seen ids with a repeat moved to the end, both capped', () => {
    const next = eventStream();
    const params = { ...PARAMS, recentViews: 3, seenCap: 3 };
    const state = run(['a', 'b', 'a', 'c', 'd'].map((itemId) => next({ itemId })), params);
    expect(state.recentViews).toEqual(['a', 'c', 'd']);
    expect(state.seen).toEqual(['a', 'c', 'd']);
    const again = run(['a', 'b', 'a', 'c'].map((itemId) => next({ itemId })), params);
    expect(again.recentViews).toEqual(['b', 'a', 'c']);
    expect(again.seen).toEqual(['b', 'a', 'c']);
  });
});

describe('foldEvent: DISLIKE', () => {
  it('pushes the vector away from the normalised item: v − beta·item', () => {
    const next = eventStream();
    const state = run([next({ item: f32(1, 0, 0) }), next({ type: 'DISLIKE', itemId: 'x', item: f32(2, 2, 0) })]);
    const s = 0.5 * Math.SQRT1_2;
    const n = Math.hypot(1 - s, s);
    expectVector(state.vector, [(1 - s) / n, -s / n, 0]); // ≈ [0.8774, -0.4798, 0]
    expect(state.disliked).toEqual(['x']);
    expect(state.seen).toEqual(['item']);
  });

  it('leaves an aligned vector where it is with beta 0.5 (seed-errata item 6)', () => {
    const next = eventStream();
    const state = run([next({ item: f32(0, 0, 2) }), next({ type: 'DISLIKE', item: f32(0, 0, 2) })]);
    expect(Array.from(state.vector!)).toEqual([0, 0, 1]);
    expect(state.degenerateUpdates).toBe(0);
  });

  it('keeps the vector and counts a degenerate update when beta 1 would zero it', () => {
    const next = eventStream();
    const params = { ...PARAMS, beta: 1 };
    const first = run([next({ item: f32(0, 0, 2) })], params);
    const step = foldEvent(first, next({ type: 'DISLIKE', itemId: 'z', item: f32(0, 0, 2) }), params);
    expect(step.outcome).toBe('degenerate');
    expect(Array.from(step.state.vector!)).toEqual([0, 0, 1]);
    expect(step.state).toMatchObject({ degenerateUpdates: 1, eventCount: 2, disliked: ['z'] });
  });

  it('only records the dislike for a user with no vector yet', () => {
    const step = foldEvent(emptyUserState(USER), eventStream()({ type: 'DISLIKE', itemId: 'x' }), PARAMS);
    expect(step.outcome).toBe('applied');
    expect(step.state).toMatchObject({ vector: null, disliked: ['x'], eventCount: 1, recentViews: [], seen: [] });
  });

  it('keeps disliked ids distinct, moving a repeat to the end, capped', () => {
    const next = eventStream();
    const params = { ...PARAMS, dislikedCap: 2 };
    const dislikes = ['x', 'y', 'x'].map((itemId) => next({ type: 'DISLIKE', itemId }));
    expect(run(dislikes, params).disliked).toEqual(['y', 'x']);
    expect(run([...dislikes, next({ type: 'DISLIKE', itemId: 'z' })], params).disliked).toEqual(['x', 'z']);
  });
});

describe('foldEvent: ERASE', () => {
  it('turns the user into a tombstone holding its id, the erasure\'s position, time and id hash: none of its event ids', () => {
    const next = eventStream();
    const before = [next({ itemId: 'a' }), next({ type: 'DISLIKE', itemId: 'b' })];
    const erase = next({ type: 'ERASE', itemId: '', item: null });
    const multi = { ...PARAMS, multi: { maxInterests: 3, threshold: 0.5, halfLifeMs: 1000 } };
    expect(run(before, multi).interests).toHaveLength(1);
    const state = run([...before, erase], multi);
    expect(state).toEqual({
      userId: USER,
      vector: null,
      interests: [],
      recentViews: [],
      seen: [],
      disliked: [],
      recentEventIds: [eventIdHash(erase.event.eventId)],
      eventCount: 0,
      lastEventAt: erase.event.occurredAt,
      degenerateUpdates: 0,
      erased: true,
      watermark: erase.watermark,
    });
  });

  it('does not let a pre-erase event redelivered on another partition bring the user back', () => {
    const next = eventStream();
    const view = next({ itemId: 'a' });
    const erased = run([view, next({ type: 'ERASE', item: null })]);
    const step = foldEvent(erased, { ...view, watermark: { partition: 9, offset: '0' } }, PARAMS);
    expect(step.outcome).toBe('stale');
    expect(step.state).toMatchObject({ vector: null, erased: true, eventCount: 0 });
  });

  it('keeps the latest event time when an event arrives late, so the snapshot window never moves back', () => {
    const next = eventStream();
    const state = run([next({ itemId: 'a', item: f32(1, 0, 0), occurredAt: 9_000 }), next({ itemId: 'b', item: f32(0, 1, 0), occurredAt: 4_000 })]);
    expect(state).toMatchObject({ eventCount: 2, lastEventAt: 9_000 });
  });

  it('lets a later event start the user afresh', () => {
    const next = eventStream();
    const erased = run([next({ itemId: 'a', item: f32(1, 0, 0) }), next({ type: 'ERASE', item: null })]);
    const state = run([next({ itemId: 'b', item: f32(0, 3, 0), occurredAt: 9_000 })], PARAMS, erased);
    expect(Array.from(state.vector!)).toEqual([0, 1, 0]);
    expect(state).toMatchObject({ erased: false, eventCount: 1, lastEventAt: 9_000, recentViews: ['b'], seen: ['b'] });
  });

  it('is applied whatever its weight: an erasure is never dead-lettered over a field it does not use', () => {
    const step = foldEvent(emptyUserState(USER), eventStream()({ type: 'ERASE', item: null, weight: 0 }), PARAMS);
    expect(step.outcome).toBe('applied');
    expect(step.state.erased).toBe(true);
  });
});

describe('foldEvent: redelivery', () => {
  it('ignores an event at or below the watermark and returns the very same state', () => {
    const next = eventStream();
    const state = run([next({ offset: 5 })]);
    for (const offset of [5, 4]) {
      const step = foldEvent(state, next({ offset, eventId: `other-${offset}` }), PARAMS);
      expect(step.outcome).toBe('stale');
      expect(step.state).toBe(state);
    }
  });

  it('recognises the same event id on another partition, advancing only the watermark', () => {
    const next = eventStream();
    const view = next({ item: f32(1, 0, 0) });
    const state = run([view, next({ item: f32(0, 1, 0) })]);
    const step = foldEvent(state, { ...view, watermark: { partition: 4, offset: '0' } }, PARAMS);
    expect(step.outcome).toBe('duplicate');
    expect(step.state).toEqual({ ...state, watermark: { partition: 4, offset: '0' } });
  });

  it('remembers only the last dedupeWindow event ids, oldest dropped', () => {
    const next = eventStream();
    const params = { ...PARAMS, dedupeWindow: 2 };
    const inputs = [next({}), next({}), next({})];
    const state = run(inputs, params);
    expect(state.recentEventIds).toEqual(inputs.slice(1).map((i) => eventIdHash(i.event.eventId)));
    const forgotten = foldEvent(state, { ...inputs[0]!, watermark: { partition: 1, offset: '0' } }, params);
    expect(forgotten.outcome).toBe('applied');
    expect(forgotten.state.eventCount).toBe(4);
  });
});

describe('foldEvent: invalid events', () => {
  const state = run([eventStream()({ item: f32(1, 0, 0) })]);
  const later = (spec: EventSpec) => eventStream()({ offset: 100, ...spec });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects weight %s with INVALID_EVENT', (weight) => {
    expect(() => foldEvent(state, later({ weight, eventId: 'w' }), PARAMS)).toThrow(
      coded('INVALID_EVENT', { message: `event "w" has weight ${weight}; it must be finite and > 0` }),
    );
  });

  it('rejects an unknown event type', () => {
    expect(() => foldEvent(state, later({ type: 'UNKNOWN' }), PARAMS)).toThrow(coded('UNKNOWN_EVENT_TYPE'));
    expect(() => foldEvent(state, later({ type: 'LIKE' }), PARAMS)).toThrow(coded('UNKNOWN_EVENT_TYPE', { details: expect.objectContaining({ type: 'LIKE' }) }));
  });

  it('rejects a VIEW or DISLIKE without an item vector, even for a user with no vector', () => {
    const view = later({ item: null, itemId: 'gone', eventId: 'v' });
    expect(() => foldEvent(state, view, PARAMS)).toThrow(coded('INVALID_EVENT', { message: 'event "v" has no vector for item "gone"' }));
    const dislike = later({ type: 'DISLIKE', item: null });
    expect(() => foldEvent(emptyUserState(USER), dislike, PARAMS)).toThrow(coded('INVALID_EVENT'));
  });

  it('rejects item vectors of the wrong dimension or with NaN/Infinity, naming the item', () => {
    expect(() => foldEvent(state, later({ itemId: 'sku-9', item: f32(1, 0) }), PARAMS)).toThrow(
      coded('DIMENSION_MISMATCH', { message: 'item "sku-9" has dimension 2, expected 3' }),
    );
    expect(() => foldEvent(state, later({ type: 'DISLIKE', itemId: 'sku-5', item: f32(1, Number.NaN, 0) }), PARAMS)).toThrow(
      coded('INVALID_VECTOR', { message: 'item "sku-5" has a non-finite component (NaN) at index 1' }),
    );
    expect(() => foldEvent(state, later({ itemId: 'sku-6', item: f32(0, 0, Number.NEGATIVE_INFINITY) }), PARAMS)).toThrow(
      coded('INVALID_VECTOR', { message: 'item "sku-6" has a non-finite component (-Infinity) at index 2' }),
    );
  });

  it('rejects an event of another user', () => {
    const input = later({});
    const foreign = { ...input, event: { ...input.event, userId: 'someone-else' } };
    expect(() => foldEvent(state, foreign, PARAMS)).toThrow(coded('INVALID_EVENT'));
  });
});

describe('foldEvents', () => {
  it('gives the same state and outcomes as folding one event at a time', () => {
    const next = eventStream();
    const params = { ...PARAMS, seenCap: 2, dislikedCap: 2, dedupeWindow: 3, recentViews: 2 };
    const a = next({ itemId: 'a', item: f32(1, 2, 0) });
    const inputs = [
      a,
      next({ itemId: 'b', item: f32(0, 1, 1) }),
      next({ type: 'DISLIKE', itemId: 'c', item: f32(1, 0, 0) }),
      { ...a, watermark: { partition: 2, offset: '0' } },
      next({ itemId: 'a', item: f32(1, 2, 0), offset: 1, eventId: 'fresh' }),
      next({ itemId: 'd', item: f32(0, 0, 5), offset: 10 }),
      next({ type: 'ERASE', item: null, offset: 11 }),
      next({ itemId: 'e', item: f32(3, 0, 1), offset: 12 }),
    ];
    const batch = foldEvents(emptyUserState(USER), inputs, params);
    let state = emptyUserState(USER);
    const outcomes = inputs.map((input) => {
      const step = foldEvent(state, input, params);
      state = step.state;
      return step.outcome;
    });
    expect(batch.outcomes).toEqual(['applied', 'applied', 'applied', 'duplicate', 'applied', 'applied', 'applied', 'applied']);
    expect(batch.outcomes).toEqual(outcomes);
    expect(batch.state).toEqual(state);
  });

  it('gives the same result for a long batch of one user, where it indexes the lists instead of scanning them', () => {
    const next = eventStream();
    const params = { ...PARAMS, seenCap: 3, dislikedCap: 2, dedupeWindow: 5 };
    const ids = ['a', 'b', 'a', 'c', 'b', 'd', 'c'];
    const fresh = Array.from({ length: 40 }, (_, i) =>
      next({ type: i % 5 === 4 ? 'DISLIKE' : 'VIEW', itemId: ids[i % ids.length], item: f32(1 + (i % 3), i % 2, 2 - (i % 3)) }),
    );
    const redelivered = fresh.slice(30).map((input, i) => ({ ...input, watermark: { partition: 1, offset: String(i) } }));
    const inputs = [...fresh, ...redelivered, ...fresh.slice(20, 30)];
    expect(foldEvents(emptyUserState(USER), inputs, params).state).toEqual(run(inputs, params));
  });

  it('never writes to the state it was given, even when it reuses its own vector within the batch', () => {
    const next = eventStream();
    const start = run([next({ itemId: 'a', item: f32(1, 0, 0) }), next({ type: 'DISLIKE', itemId: 'b', item: f32(0, 1, 0) })]);
    const copy = structuredClone(start);
    const batch = foldEvents(start, [next({ item: f32(0, 1, 0) }), next({ item: f32(0, 0, 1) }), next({ type: 'DISLIKE' })], PARAMS);
    expect(batch.state.eventCount).toBe(5);
    expect(start).toEqual(copy);
  });

  it('returns the very same state when every event is stale', () => {
    const next = eventStream();
    const inputs = [next({}), next({})];
    const state = run(inputs);
    const batch = foldEvents(state, inputs, PARAMS);
    expect(batch.state).toBe(state);
    expect(batch.outcomes).toEqual(['stale', 'stale']);
  });

  it('throws the invalid event’s error with its index, so the caller can dead-letter it', () => {
    const next = eventStream();
    const inputs = [next({}), next({ itemId: 'bad', item: f32(1, Number.NaN, 0) }), next({})];
    expect(() => foldEvents(emptyUserState(USER), inputs, PARAMS)).toThrow(
      coded('INVALID_VECTOR', { details: { itemId: 'bad', index: 1, eventIndex: 1 } }),
    );
  });
});
