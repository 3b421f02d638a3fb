import { describe, expect, it } from 'vitest';
import { CatalogueIndex, type ApproximateBias } from '../../../../services/domain/evaluation/catalogue-index.js';
import { SortedTop } from '../../../../services/domain/evaluation/top-k.js';
import { randomVector, rng } from '../../../support/random.js';
import { bruteForceRanking as bruteForce } from '../../../support/brute-force-ranking.js';

describe('CatalogueIndex.rank', () => {
  it('equals a brute-force float64 ranking, ties (duplicate items) counting against the target and ordered by catalogue position', () => {
    const rand = rng(16);
    const d = 24;
    const distinct = Array.from({ length: 300 }, () => randomVector(rand, d));
    // every fifth item repeats an earlier one (some at another length): exact ties in cosine
    const vectors = distinct.map((v, i) => (i % 5 === 4 ? distinct[i - 3]!.map((x) => x * (i % 2 === 0 ? 2 : 1)) : v));
    const index = new CatalogueIndex(vectors.map((vector, i) => ({ id: `i${i}`, vector })));
    for (let round = 0; round < 200; round++) {
      const excluded = new Uint8Array(vectors.length);
      for (let e = 0; e < 20; e++) excluded[Math.floor(rand() * vectors.length)] = 1;
      let target = Math.floor(rand() * vectors.length);
      while (excluded[target] === 1) target = (target + 1) % vectors.length;
      // half the queries are an item itself (its duplicates then tie with it exactly)
      const query = round % 2 === 0 ? vectors[Math.floor(rand() * vectors.length)]! : randomVector(rand, d);
      const k = 1 + (round % 25);
      const got = index.rank({ query, target, excluded, k });
      const { rank, top } = bruteForce(vectors, query, undefined, target, excluded, k);
      const want = { rank, top };
      expect({ rank: got.rank, top: [...got.top] }).toEqual(want);
    }
  });

  it('ranks by a bias alone (popularity), ties at equal counts counting against the target', () => {
    const vectors = Array.from({ length: 40 }, (_, i) => new Float32Array([1, i]));
    const index = new CatalogueIndex(vectors.map((vector, i) => ({ id: `i${i}`, vector })));
    const bias = Float64Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 3 : i % 7 === 0 ? 1 : 0));
    const excluded = new Uint8Array(40);
    excluded[8] = 1;
    for (const target of [0, 7, 5]) {
      const got = index.rank({ query: null, bias, target, excluded, k: 6 });
      const { rank, top } = bruteForce(vectors, null, bias, target, excluded, 6);
      expect({ rank: got.rank, top: [...got.top] }).toEqual({ rank, top });
    }
    // 9 items at 3 (8 is excluded), then 7, 14, 21, 35 at 1: item 7 ties with three others
    expect(index.rank({ query: null, bias, target: 7, excluded, k: 3 }).rank).toBe(9 + 4);
  });
});

describe('CatalogueIndex.rank with an approximate bias', () => {
  /** Approximations with approx − below ≤ exact ≤ approx + above, each at a random point of that span (a third at one end). */
  function approximated(exact: Float64Array, below: number, above: number, rand: () => number): ApproximateBias {
    const approx = exact.map((b) => {
      const r = rand();
      return b + (r < 1 / 6 ? below : r < 1 / 3 ? -above : r < 2 / 3 ? rand() * below : -rand() * above);
    });
    return { approx, below, above, exact: (i) => exact[i]! };
  }

  it('gives the very ranking, top scores included, that the exact bias gives', () => {
    const rand = rng(61);
    const d = 24;
    const distinct = Array.from({ length: 300 }, () => randomVector(rand, d));
    const vectors = distinct.map((v, i) => (i % 5 === 4 ? distinct[i - 3]! : v));
    const index = new CatalogueIndex(vectors.map((vector, i) => ({ id: `i${i}`, vector })));
    for (let round = 0; round < 200; round++) {
      // few distinct bias values: exact ties between duplicates, and between items of equal bias alone
      const exact = Float64Array.from(vectors, () => Math.floor(rand() * 4) * 0.05);
      const [below, above] = [[0.02, 0], [0, 0.02], [0.003, 0.05], [1e-9, 1e-9]][round % 4]!;
      const excluded = new Uint8Array(vectors.length);
      for (let e = 0; e < 20; e++) excluded[Math.floor(rand() * vectors.length)] = 1;
      let target = Math.floor(rand() * vectors.length);
      while (excluded[target] === 1) target = (target + 1) % vectors.length;
      const query = round % 3 === 2 ? null : round % 3 === 0 ? vectors[Math.floor(rand() * vectors.length)]! : randomVector(rand, d);
      const k = 1 + (round % 25);
      const got = index.rank({ query, bias: approximated(exact, below!, above!, rand), target, excluded, k });
      expect(got).toEqual(index.rank({ query, bias: exact, target, excluded, k }));
      const { rank, top } = bruteForce(vectors, query, exact, target, excluded, k);
      expect({ rank: got.rank, top: [...got.top] }).toEqual({ rank, top });
    }
  });
});

describe('ExactCosines.meanPairCosine', () => {
  it('is the mean of `between` over every pair x < y, added in that order, to the last bit', () => {
    const rand = rng(9);
    const vectors = Array.from({ length: 200 }, () => randomVector(rand, 37));
    const index = new CatalogueIndex(vectors.map((vector, i) => ({ id: `i${i}`, vector })));
    // 30 items: 435 pairs, more than one batch of the kernel
    for (const length of [0, 1, 2, 3, 5, 10, 30]) {
      const list = Int32Array.from({ length }, () => Math.floor(rand() * vectors.length));
      let sum = 0;
      for (let x = 0; x < length; x++) for (let y = x + 1; y < length; y++) sum += index.cosines.between(list[x]!, list[y]!);
      expect(index.cosines.meanPairCosine(list)).toBe(length < 2 ? 0 : sum / ((length * (length - 1)) / 2));
    }
  });
});

describe('SortedTop', () => {
  it('keeps the K best, best first, equal scores in the order they were offered', () => {
    const top = new SortedTop();
    top.reset(3);
    [[0, 0.5], [1, 0.9], [2, 0.5], [3, 0.9], [4, 0.1], [5, 0.9]].forEach(([id, s]) => top.offer(id!, s!));
    expect([...top.result().top]).toEqual([1, 3, 5]);
    top.reset(4);
    [[0, 0.5], [1, 0.9], [2, 0.5], [3, 0.5]].forEach(([id, s]) => top.offer(id!, s!));
    expect([...top.result().top]).toEqual([1, 0, 2, 3]);
    expect([...top.result().topScores]).toEqual([0.9, 0.5, 0.5, 0.5]);
  });
});
