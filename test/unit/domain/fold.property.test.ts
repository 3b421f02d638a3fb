import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { emptyUserState, foldEvent, foldEvents, type FoldInput } from '../../../services/domain/fold.js';
import { idKey, StateKeys } from '../../../services/domain/recent-ids.js';
import type { FoldParams, UserState } from '../../../services/domain/types.js';
import { l2Norm } from '../../../services/domain/vector.js';

const D = 4;
const USER = 'prop-user';

/** Random, often non-unit, never all-zero item vectors; a small pool so that items repeat and cancel. */
const vectorArb = fc
  .array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: D, maxLength: D })
  .filter((xs) => xs.some((x) => x !== 0))
  .map((xs) => Float32Array.from(xs));

const specArb = fc.record({
  type: fc.constantFrom('VIEW', 'VIEW', 'DISLIKE', 'ERASE'),
  item: fc.integer({ min: 0, max: 5 }),
  scale: fc.constantFrom(1, -1, 3, -0.25),
  weight: fc.double({ min: 0.01, max: 10, noNaN: true }),
});

const scenarioArb = fc.record({
  pool: fc.array(vectorArb, { minLength: 3, maxLength: 3 }),
  specs: fc.array(specArb, { minLength: 1, maxLength: 30 }),
});

/**
 * Without ERASE: a tombstone forgets the user's event ids (docs/privacy.md), so a pre-erase event
 * redelivered on another partition after the user came back is no longer recognised by id.
 */
const eraseFreeScenarioArb = scenarioArb.map((s) => ({ ...s, specs: s.specs.filter((x) => x.type !== 'ERASE') })).filter((s) => s.specs.length > 0);

type Scenario = { pool: Float32Array[]; specs: Array<{ type: string; item: number; scale: number; weight: number }> };

function paramsArb(dedupeWindow: fc.Arbitrary<number>): fc.Arbitrary<FoldParams> {
  return fc.record({
    alpha: fc.double({ min: 0.01, max: 1, noNaN: true }),
    beta: fc.double({ min: 0.01, max: 2, noNaN: true }),
    recentViews: fc.integer({ min: 1, max: 5 }),
    seenCap: fc.integer({ min: 1, max: 5 }),
    dislikedCap: fc.integer({ min: 1, max: 5 }),
    dedupeWindow,
    dimension: fc.constant(D),
  });
}

/** The scenario as events on partition 0 at offsets 0, 1, 2, … */
function inputsOf({ pool, specs }: Scenario): FoldInput[] {
  return specs.map((s, i) => {
    const base = pool[s.item % pool.length]!;
    const isErase = s.type === 'ERASE';
    return {
      event: {
        eventId: `evt-${i}`,
        userId: USER,
        itemId: isErase ? '' : `item-${s.item}-${s.scale}`,
        type: s.type as FoldInput['event']['type'],
        occurredAt: 1_700_000_000_000 + i,
        weight: s.weight,
      },
      item: isErase ? null : base.map((x) => x * s.scale),
      watermark: { partition: 0, offset: String(i) },
    };
  });
}

function foldEach(inputs: readonly FoldInput[], params: FoldParams, start: UserState = emptyUserState(USER)): UserState[] {
  const states: UserState[] = [];
  let state = start;
  for (const input of inputs) {
    state = foldEvent(state, input, params).state;
    states.push(state);
  }
  return states;
}

function onPartition(inputs: readonly FoldInput[], partition: number): FoldInput[] {
  return inputs.map((input, i) => ({ ...input, watermark: { partition, offset: String(i) } }));
}

describe('fold properties', () => {
  it('keeps every vector finite and unit length, whatever the events and item lengths', () => {
    fc.assert(
      fc.property(scenarioArb, paramsArb(fc.constant(1000)), (scenario, params) => {
        for (const state of foldEach(inputsOf(scenario), params)) {
          if (state.vector === null) continue;
          expect(state.vector.every(Number.isFinite)).toBe(true);
          expect(Math.abs(l2Norm(state.vector) - 1)).toBeLessThan(1e-5);
        }
      }),
    );
  });

  it('changes nothing when a suffix is redelivered at the same positions', () => {
    fc.assert(
      fc.property(scenarioArb, paramsArb(fc.integer({ min: 1, max: 8 })), fc.nat(), (scenario, params, cut) => {
        const inputs = inputsOf(scenario);
        const state = foldEvents(emptyUserState(USER), inputs, params).state;
        const redelivered = foldEvents(state, inputs.slice(cut % inputs.length), params);
        expect(redelivered.state).toBe(state);
        expect(redelivered.outcomes.every((o) => o === 'stale')).toBe(true);
      }),
    );
  });

  it('changes nothing but the watermark when a suffix is redelivered on another partition', () => {
    fc.assert(
      fc.property(eraseFreeScenarioArb, paramsArb(fc.integer({ min: 30, max: 100 })), fc.nat(), (scenario, params, cut) => {
        const inputs = inputsOf(scenario);
        const state = foldEvents(emptyUserState(USER), inputs, params).state;
        const suffix = onPartition(inputs, 7).slice(cut % inputs.length);
        const redelivered = foldEvents(state, suffix, params);
        expect(redelivered.outcomes.every((o) => o === 'duplicate')).toBe(true);
        expect(redelivered.state).toEqual({ ...state, watermark: suffix.at(-1)!.watermark });
      }),
    );
  });

  it('ends exactly where one clean pass ends when applied events are redelivered from another partition mid-stream', () => {
    fc.assert(
      fc.property(eraseFreeScenarioArb, paramsArb(fc.integer({ min: 30, max: 100 })), fc.nat(), fc.nat(), (scenario, params, a, b) => {
        const inputs = inputsOf(scenario);
        const split = a % inputs.length; // at least one fresh event follows the replayed ones
        const replayed = onPartition(inputs.slice(0, split), 3).slice(b % (split + 1));
        const clean = foldEvents(emptyUserState(USER), inputs, params).state;
        const messy = foldEvents(emptyUserState(USER), [...inputs.slice(0, split), ...replayed, ...inputs.slice(split)], params);
        expect(messy.state).toEqual(clean);
      }),
    );
  });

  it('gives the same states from foldEvents as from foldEvent one event at a time, and never mutates its input', () => {
    fc.assert(
      fc.property(scenarioArb, paramsArb(fc.integer({ min: 1, max: 8 })), fc.nat(), (scenario, params, cut) => {
        const inputs = inputsOf(scenario);
        // Redeliveries on other partitions: some ids are still in the window, some were evicted and
        // apply again; long enough that the batch switches from scanning to indexing the window.
        const from = cut % inputs.length;
        const mixed = [...inputs, ...onPartition(inputs, 1).slice(from), ...onPartition(inputs, 2), ...inputs.slice(from)];
        expect(foldEvents(emptyUserState(USER), mixed, params).state).toEqual(foldEach(mixed, params).at(-1));
        const half = Math.floor(mixed.length / 2);
        const start = foldEvents(emptyUserState(USER), mixed.slice(0, half), params).state;
        const before = structuredClone(start);
        const batch = foldEvents(start, mixed.slice(half), params);
        const oneByOne = foldEach(mixed.slice(half), params, start);
        expect(batch.state).toEqual(oneByOne.at(-1) ?? start);
        expect(start).toEqual(before);
      }),
    );
  });
  it('gives the same states with StateKeys carried from event to event, whatever the keys collide on, past dropped results and a state made elsewhere', () => {
    const itemKeys = [idKey, () => 0, (id: string) => id.length % 3];
    fc.assert(
      fc.property(scenarioArb, paramsArb(fc.integer({ min: 1, max: 8 })), fc.nat(), fc.nat({ max: itemKeys.length - 1 }), (scenario, params, cut, k) => {
        const inputs = inputsOf(scenario);
        const from = cut % inputs.length;
        const mixed = [...inputs, ...onPartition(inputs, 1).slice(from), ...onPartition(inputs, 2)];
        const plain = foldEach(mixed, params);
        const keys = new StateKeys(itemKeys[k]);
        let state = emptyUserState(USER);
        mixed.forEach((input, i) => {
          // The same lists as other arrays: the keys describe none of them and are rebuilt.
          if (i === from) state = structuredClone(state);
          // A fold whose result is dropped (rejected for its weight, or a duplicate or stale), as when
          // the replay's next fold variant throws: the keys it edited describe no state that is kept.
          const dropped = { ...input, event: { ...input.event, type: 'VIEW' as const, weight: i % 2 }, item: input.item ?? scenario.pool[0]! };
          expect(() => foldEvent(state, dropped, params, keys)).not.toThrow(TypeError);
          state = foldEvent(state, input, params, keys).state;
          expect(state).toEqual(plain[i]);
        });
      }),
    );
  });
});
