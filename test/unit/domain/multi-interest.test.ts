import { describe, it, expect } from 'vitest';
import { emptyUserState, foldEvent, type FoldInput } from '../../../services/domain/fold.js';
import {
  dislikeInterests,
  importanceShares,
  interestQuotas,
  mergeByQuota,
  viewInterests,
  type Interest,
  type MultiInterestParams,
} from '../../../services/domain/multi-interest.js';
import { DEFAULT_FOLD_PARAMS, type FoldParams } from '../../../services/domain/types.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const PARAMS: MultiInterestParams = { maxInterests: 2, threshold: 0.5, halfLifeMs: 1000 };
const ALPHA = 0.5;
const view = (unitItem: Float32Array, at: number, weight = 1) => ({ unitItem, weight, at });

function expectInterest(actual: Interest | undefined, vector: number[], importance: number, updatedAt: number): void {
  expect(actual).toBeDefined();
  // The inputs are float32 (0.8 is not exact), so agreement is to float32 precision.
  expect(actual!.vector).toHaveLength(vector.length);
  vector.forEach((x, i) => expect(actual!.vector[i]).toBeCloseTo(x, 7));
  expect(actual!.importance).toBeCloseTo(importance, 12);
  expect(actual!.updatedAt).toBe(updatedAt);
}

describe('viewInterests (hand-computed, k = 2, threshold 0.5, half-life 1 s, α = 0.5)', () => {
  const first = viewInterests([], view(f32(1, 0, 0), 0), ALPHA, PARAMS);
  // cos((1,0,0), (0.8,0.6,0)) = 0.8 ≥ 0.5: joins. 0.5·(0.8,0.6,0) + 0.5·(1,0,0) = (0.9,0.3,0), |·| = √0.9.
  const joined = viewInterests(first, view(f32(0.8, 0.6, 0), 1000), ALPHA, PARAMS);
  // cos = 0 with the only interest: opens a second one; importance = the event weight, 2.
  const opened = viewInterests(joined, view(f32(0, 0, 1), 2000, 2), ALPHA, PARAMS);

  it('opens the first interest at the first view, importance = its weight', () => {
    expect(first).toHaveLength(1);
    expectInterest(first[0], [1, 0, 0], 1, 0);
  });

  it('moves the nearest interest one EMA step towards a view within the threshold, decaying then adding to its importance', () => {
    expect(joined).toHaveLength(1);
    // importance: 1·2^(−1000/1000) + 1 = 1.5.
    expectInterest(joined[0], [0.9 / Math.sqrt(0.9), 0.3 / Math.sqrt(0.9), 0], 1.5, 1000);
    expect(first[0]!.vector).toEqual(f32(1, 0, 0)); // inputs untouched
  });

  it('opens a new interest for a view below the threshold of every interest', () => {
    expect(opened).toHaveLength(2);
    expectInterest(opened[1], [0, 0, 1], 2, 2000);
    expect(opened[0]).toBe(joined[0]);
  });

  it('replaces the least important interest when k are held', () => {
    // Keys log₂(imp) + t/h: first 0.585 + 1 = 1.585, second 1 + 2 = 3: the first goes.
    const replaced = viewInterests(opened, view(f32(0, 1, 0), 3000), ALPHA, PARAMS);
    expect(replaced).toHaveLength(2);
    expectInterest(replaced[0], [0, 1, 0], 1, 3000);
    expect(replaced[1]).toBe(opened[1]);
    // At t = 3000: 1 and 2·2^−1 = 1.
    expect(importanceShares(replaced, PARAMS.halfLifeMs)).toEqual([0.5, 0.5]);
  });

  it('adds a late view decayed to the interest time, which does not move back', () => {
    const late = viewInterests([{ vector: f32(1, 0, 0), importance: 1, updatedAt: 2000 }], view(f32(1, 0, 0), 1000), ALPHA, PARAMS);
    expectInterest(late[0], [1, 0, 0], 1.5, 2000);
  });

  it('keeps at most k (the most important) after k is lowered, and none with k = 0', () => {
    const three: Interest[] = [
      { vector: f32(1, 0, 0), importance: 1, updatedAt: 0 },
      { vector: f32(0, 1, 0), importance: 4, updatedAt: 0 },
      { vector: f32(0, 0, 1), importance: 2, updatedAt: 0 },
    ];
    const after = viewInterests(three, view(f32(0, 1, 0), 0), ALPHA, PARAMS);
    expect(after.map((i) => i.importance)).toEqual([5, 2]);
    expect(viewInterests(three, view(f32(0, 1, 0), 0), ALPHA, { ...PARAMS, maxInterests: 0 })).toEqual([]);
  });
});

describe('dislikeInterests', () => {
  const one: Interest[] = [{ vector: f32(1, 0, 0), importance: 3, updatedAt: 5 }];

  it('pushes the nearest interest away when the item is within the threshold, importance unchanged', () => {
    // (1,0,0) − 0.5·(0.8,0.6,0) = (0.6,−0.3,0), |·| = √0.45.
    const pushed = dislikeInterests(one, view(f32(0.8, 0.6, 0), 9), 0.5, PARAMS);
    expectInterest(pushed[0], [0.6 / Math.sqrt(0.45), -0.3 / Math.sqrt(0.45), 0], 3, 5);
  });

  it('leaves every interest alone for an item below the threshold, or when the push would collapse it', () => {
    expect(dislikeInterests(one, view(f32(0, 1, 0), 9), 0.5, PARAMS)).toBe(one);
    expect(dislikeInterests(one, view(f32(1, 0, 0), 9), 1, PARAMS)).toBe(one);
  });
});

describe('interestQuotas', () => {
  it('splits the limit by importance share with the largest remainders, summing to the limit', () => {
    expect(interestQuotas([0.5, 0.3, 0.2], 10)).toEqual([5, 3, 2]);
    expect(interestQuotas([2 / 3, 1 / 3], 10)).toEqual([7, 3]);
    expect(interestQuotas([0.5, 0.5], 3)).toEqual([2, 1]);
    expect(interestQuotas([0.1, 0.9], 1)).toEqual([0, 1]);
  });
});

describe('the fold keeps the interests', () => {
  const params: FoldParams = { ...DEFAULT_FOLD_PARAMS, alpha: ALPHA, beta: 0.5, dimension: 3, multi: PARAMS };
  const input = (id: string, offset: number, item: Float32Array, type: 'VIEW' | 'DISLIKE' = 'VIEW', partition = 0): FoldInput => ({
    event: { eventId: id, userId: 'u', itemId: `i${offset}`, type, occurredAt: offset * 1000, weight: 1 },
    item,
    watermark: { partition, offset: String(offset) },
  });

  it('folds each view into the interests with the item normalised, exactly as viewInterests', () => {
    const a = foldEvent(emptyUserState('u'), input('e1', 0, f32(2, 0, 0)), params).state;
    const b = foldEvent(a, input('e2', 1, f32(4, 3, 0)), params).state;
    expect(b.interests).toEqual(viewInterests(viewInterests([], view(f32(1, 0, 0), 0), ALPHA, PARAMS), view(f32(0.8, 0.6, 0), 1000), ALPHA, PARAMS));
    const disliked = foldEvent(b, input('e3', 2, f32(0, 0, 5), 'DISLIKE'), params).state;
    expect(disliked.interests).toEqual(b.interests);
  });

  it('applies an event once: a redelivery on another partition leaves the interests as they were', () => {
    const a = foldEvent(emptyUserState('u'), input('e1', 0, f32(1, 0, 0)), params).state;
    const again = foldEvent(a, input('e1', 7, f32(1, 0, 0), 'VIEW', 1), params);
    expect(again.outcome).toBe('duplicate');
    expect(again.state.interests).toBe(a.interests);
  });

  it('leaves the interests alone when the fold is not asked to keep them', () => {
    const { multi: _, ...plain } = params;
    expect(foldEvent(emptyUserState('u'), input('e1', 0, f32(1, 0, 0)), plain).state.interests).toEqual([]);
  });
});

describe('mergeByQuota', () => {
  const hits = (...ids: string[]) => ids.map((id) => ({ id }));

  it('alternates between interests up to their quotas, skipping an item another interest already gave', () => {
    const merged = mergeByQuota([{ hits: hits('a', 'b', 'c', 'd'), quota: 3 }, { hits: hits('a', 'x', 'y'), quota: 2 }], 5);
    expect(merged.map((m) => `${m.hit.id}${m.interest}`)).toEqual(['a0', 'x1', 'b0', 'y1', 'c0']);
  });

  it('fills past the quotas when an interest runs out of items', () => {
    const merged = mergeByQuota([{ hits: hits('a'), quota: 3 }, { hits: hits('x', 'y', 'z', 'w'), quota: 1 }], 4);
    expect(merged.map((m) => `${m.hit.id}${m.interest}`)).toEqual(['a0', 'x1', 'y1', 'z1']);
  });
});
