import { describe, expect, it } from 'vitest';
import { CatalogueIndex } from '../../../../services/domain/evaluation/catalogue-index.js';
import { RankedAbove } from '../../../../services/domain/evaluation/ranked-above.js';
import { randomVector, rng } from '../../../support/random.js';
import { bruteForceRanking } from '../../../support/brute-force-ranking.js';

/** Everything `next` hands out, up to the −1 after the target. */
function readAll(list: RankedAbove): number[] {
  const out: number[] = [];
  for (let id = list.next(); id >= 0; id = list.next()) out.push(id);
  return out;
}

describe('RankedAbove', () => {
  // Items: random, exact duplicates (at another length: equal cosines), and near ties a float32
  // pass cannot order (an item nudged by one part in 10^7).
  const rand = rng(41);
  const d = 32;
  const distinct = Array.from({ length: 400 }, () => randomVector(rand, d));
  const vectors = distinct.map((v, i) => {
    if (i % 7 === 3) return distinct[i - 2]!.map((x) => x * 3);
    if (i % 7 === 5) return distinct[i - 1]!.map((x, j) => (j === 0 ? x * (1 + 1e-7) : x));
    return v;
  });
  const index = new CatalogueIndex(vectors.map((vector, i) => ({ id: `i${i}`, vector })));

  it('reads the items ranked above the target best first (exact scores, ties by catalogue order), then the target, then −1, however far the first collection reached', () => {
    const list = new RankedAbove(index);
    let deep = 0;
    for (let round = 0; round < 120; round++) {
      const excluded = new Uint8Array(vectors.length);
      for (let e = 0; e < 30; e++) excluded[Math.floor(rand() * vectors.length)] = 1;
      // half the queries are an item itself, so its duplicates tie with it exactly
      const query = round % 2 === 0 ? vectors[Math.floor(rand() * vectors.length)]! : randomVector(rand, d);
      // a third of the targets just below the first collection's top (rank 22 to 26), the rest anywhere
      const order = bruteForceRanking(vectors, query, undefined, 0, excluded, vectors.length).top;
      const target = round % 3 === 0 ? order[21 + (round % 5)]! : order[Math.floor(rand() * order.length)]!;
      const want = bruteForceRanking(vectors, query, undefined, target, excluded, 0).above;
      if (want.length > 50) deep++;
      // 0 and 3: the first collection takes only the top and the rest comes from a second pass
      for (const likelyRead of [0, 3, 40, 1_000]) {
        const ranking = index.rank({ query, target, excluded, k: 21 });
        list.collect(query, excluded, ranking, likelyRead);
        expect(readAll(list)).toEqual([...want, target]);
      }
    }
    expect(deep).toBeGreaterThan(40);
  });
});
