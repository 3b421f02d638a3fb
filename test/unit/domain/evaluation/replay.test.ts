import { describe, expect, it } from 'vitest';
import { CatalogueIndex } from '../../../../services/domain/evaluation/catalogue-index.js';
import { PrequentialReplay, type ReplayEvent } from '../../../../services/domain/evaluation/replay.js';
import type { EvaluatedStrategy } from '../../../../services/domain/evaluation/variants.js';
import { DEFAULT_FOLD_PARAMS } from '../../../../services/domain/types.js';
import type { AnnRanker } from '../../../../services/domain/evaluation/ann-ranking.js';

/** Items on the unit circle (two of them given at length √2, to check that lengths do not matter). */
const deg = (d: number) => new Float32Array([Math.cos((d * Math.PI) / 180), Math.sin((d * Math.PI) / 180)]);
const catalogue = () =>
  new CatalogueIndex([
    { id: 'a', vector: deg(0) },
    { id: 'b', vector: deg(90) },
    { id: 'c', vector: new Float32Array([1, 1]) }, // 45°
    { id: 'e', vector: deg(180) },
    { id: 'f', vector: deg(-50) },
    { id: 'g', vector: new Float32Array([-1, 1]) }, // 135°
  ]);

let offset = 0;
const ev = (userId: string, type: 'VIEW' | 'DISLIKE', itemId: string, at: number, eventId = `e${offset}`): ReplayEvent => ({
  event: { eventId, userId, itemId, type, occurredAt: at, weight: 1 },
  watermark: { partition: 0, offset: String(offset++) },
});

function stream(): ReplayEvent[] {
  offset = 0;
  return [
    ev('u1', 'VIEW', 'a', 1000), // cold: nothing popular yet, every item ties at 0 → rank 6 of 6
    ev('u1', 'VIEW', 'c', 2000), // interest 0°: c (45°) is first, f (−50°) second
    ev('u1', 'DISLIKE', 'e', 3000), // interest 22.5° pushed away from 180° → 15.04°
    ev('u1', 'VIEW', 'b', 4000), // eligible b, f, g: f (65° away) beats b (75° away) → rank 2
    ev('u2', 'VIEW', 'f', 5000), // cold: a, b, c have views, f ties with e and g at 0 → rank 6
    { ...ev('u2', 'VIEW', 'f', 5001), event: { eventId: 'e4', userId: 'u2', itemId: 'f', type: 'VIEW', occurredAt: 5001, weight: 1 } }, // the same event id again
    ev('u2', 'VIEW', 'f', 6000), // f is already seen: not ranked
    ev('u1', 'VIEW', 'zzz', 7000), // not in the catalogue: ingest dead-letters it
    ev('u1', 'VIEW', 'f', 9000), // interest 52.52° (between 15.04° and 90°): g 82.5° away beats f 102.5° away → rank 2
  ];
}

function replay(strategies: EvaluatedStrategy[], k: number, diversity = [0]) {
  const r = new PrequentialReplay(catalogue(), {
    grid: { strategies, alpha: [0.5], beta: [0.5], momentum: [1], lambda: [0], k, diversity },
    fold: DEFAULT_FOLD_PARAMS,
    trendWindow: 3,
    snapshotIntervalMs: 3_600_000,
    popularHalfLifeMs: 86_400_000,
  });
  for (const e of stream()) r.push(e);
  return r.result();
}

describe('prequential replay on a hand-made stream', () => {
  it('counts every event where the product would put it', () => {
    expect(replay(['ema'], 1).counts).toEqual({
      events: 9,
      views: 6,
      dislikes: 1,
      erases: 0,
      unknownItems: 1,
      rejected: 0,
      repeats: 1,
      excludedTargets: 1,
      outOfRange: 0,
      warmUp: 0,
      scored: 3,
      coldStart: 2,
    });
  });

  it('ema at K=1: ranks 1, 2, 2', () => {
    const [ema] = replay(['ema'], 1).variants;
    expect(ema!.name).toBe('ema(α=0.5,β=0.5)');
    expect(ema!.events).toBe(3);
    expect(ema!.hr).toBeCloseTo(1 / 3, 12);
    expect(ema!.ndcg).toBeCloseTo(1 / 3, 12);
    expect(ema!.mrr).toBeCloseTo((1 + 1 / 2 + 1 / 2) / 3, 12);
    // top 1 lists: c, f, g
    expect(ema!.coverage).toBeCloseTo(3 / 6, 12);
    expect(ema!.ils).toBe(0);
  });

  it('ema at K=3: every view is a hit, NDCG discounts the two second places', () => {
    const [ema] = replay(['ema'], 3).variants;
    expect(ema!.hr).toBe(1);
    expect(ema!.ndcg).toBeCloseTo((1 + 2 / Math.log2(3)) / 3, 12);
    // Top 3: [c 45°, f −50°, b 90°] for a 0° interest; [f, b, g] and [g, f] (only two eligible) later.
    const cos = (x: number, y: number) => Math.cos(((x - y) * Math.PI) / 180);
    const ils1 = (cos(45, -50) + cos(45, 90) + cos(-50, 90)) / 3;
    const ils2 = (cos(-50, 90) + cos(-50, 135) + cos(90, 135)) / 3;
    const ils3 = cos(135, -50);
    expect(ema!.ils).toBeCloseTo((ils1 + ils2 + ils3) / 3, 6);
    expect(ema!.coverage).toBeCloseTo(4 / 6, 12);
  });

  it('last item and average of the last views at K=1', () => {
    const { variants } = replay(['last', 'average'], 1);
    // last: a → c first; c (45°) → b first among b, f, g; b (90°) → g beats f.
    expect(variants[0]!.hr).toBeCloseTo(2 / 3, 12);
    expect(variants[0]!.mrr).toBeCloseTo((1 + 1 + 1 / 2) / 3, 12);
    // average: 0° → c; mean of 0°, 45° = 22.5° → b (67.5°) beats f (72.5°); mean of 0°, 45°, 90° = 45° → g beats f.
    expect(variants[1]!.hr).toBeCloseTo(2 / 3, 12);
    expect(variants[1]!.mrr).toBeCloseTo((1 + 1 + 1 / 2) / 3, 12);
  });

  it('diversity re-ranks the top K by MMR, and the rest follows in score order', () => {
    const { variants } = replay(['ema'], 2, [0.9]);
    expect(variants.map((v) => v.name)).toEqual(['ema(α=0.5,β=0.5)+mmr(0.9)']);
    // 0° interest: c first, then e (180°, unlike c) beats f; the target c is first.
    // 15.04°: f first, then g (185° from f) beats b: f, g, b — the target b is third.
    // 52.52°: only f and g are eligible: g, f — the target f is second.
    expect(variants[0]!.hr).toBeCloseTo(2 / 3, 12);
    expect(variants[0]!.mrr).toBeCloseTo((1 + 1 / 3 + 1 / 2) / 3, 12);
    const cos = (x: number, y: number) => Math.cos(((x - y) * Math.PI) / 180);
    expect(variants[0]!.ils).toBeCloseTo((cos(45, 180) + 2 * cos(-50, 135)) / 3, 6);
  });

  it('cold-start views are ranked by popularity and reported apart, ties counting against the target', () => {
    const { coldStart } = replay(['ema'], 1);
    expect(coldStart.events).toBe(2);
    expect(coldStart.hr).toBe(0);
    expect(coldStart.mrr).toBeCloseTo(1 / 6, 12);
  });
});

describe('prequential replay with an ANN ranker (evaluate --ann)', () => {
  /** A stand-in index: exact order by cosine, as many results as asked for, exclusions honoured. */
  const exactAnn = (): AnnRanker => {
    const c = catalogue();
    const cos = (a: Float32Array, b: Float32Array) => (a[0]! * b[0]! + a[1]! * b[1]!) / (Math.hypot(a[0]!, a[1]!) * Math.hypot(b[0]!, b[1]!));
    return {
      nearest: (query, limit, exclude) =>
        c.ids
          .map((id, i) => ({ id, i, s: cos(query, c.vectorOf(i)) }))
          .filter((x) => !exclude.has(x.id))
          .sort((a, b) => b.s - a.s)
          .slice(0, limit)
          .map((x) => x.i),
    };
  };
  const run = (depth: number) => {
    const r = new PrequentialReplay(
      catalogue(),
      { grid: { strategies: ['ema'], alpha: [0.5], beta: [0.5], momentum: [1], lambda: [0], k: 1 }, fold: DEFAULT_FOLD_PARAMS, trendWindow: 3, snapshotIntervalMs: 3_600_000, popularHalfLifeMs: 86_400_000, annDepth: depth },
      exactAnn(),
    );
    for (const e of stream()) r.push(e);
    return r.result().variants[0]!;
  };

  it('gives the exact numbers when the index is exact and deep enough', () => {
    const exact = replay(['ema'], 1).variants[0]!;
    expect(run(6)).toMatchObject({ events: exact.events, hits: exact.hits, hr: exact.hr, ndcg: exact.ndcg, mrr: exact.mrr });
  });

  it('counts a viewed item beyond the depth as a miss with reciprocal rank 0 (MRR@depth)', () => {
    // ranks 1, 2, 2 (see the stream); with depth 1 only the first is found
    expect(run(1)).toMatchObject({ events: 3, hits: 1, hr: 1 / 3, mrr: 1 / 3 });
    expect(run(2)).toMatchObject({ events: 3, hits: 1, mrr: (1 + 1 / 2 + 1 / 2) / 3 });
  });
});
