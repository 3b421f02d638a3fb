import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { averageStrategy, trendStrategy, type InterestSnapshot } from '../../../services/domain/strategies.js';
import { cosine } from '../../../services/domain/vector.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const rad = (deg: number) => (deg * Math.PI) / 180;
/** A unit vector in the plane of A = e1 and B = e2, `deg` degrees from A towards B. */
const at = (deg: number) => f32(Math.cos(rad(deg)), Math.sin(rad(deg)), 0);
const A = f32(1, 0, 0);
const B = f32(0, 1, 0);

function expectVector(actual: Float32Array | null | undefined, expected: number[]): void {
  expect(actual).toBeTruthy();
  expected.forEach((x, i) => expect(actual![i]).toBeCloseTo(x, 6));
}

/** A user drifting from cluster A towards cluster B: snapshots at 0°, 10°, …, 50°, one a minute. */
const drifting: InterestSnapshot[] = [0, 10, 20, 30, 40, 50].map((deg, i) => ({ vector: at(deg), takenAt: 60_000 * (i + 1) }));

describe('averageStrategy', () => {
  it('is the normalised mean of the item vectors', () => {
    expectVector(averageStrategy([f32(1, 0, 0), f32(0, 1, 0)]), [Math.SQRT1_2, Math.SQRT1_2, 0]);
    expectVector(averageStrategy([f32(0, 0, 1)]), [0, 0, 1]);
  });

  it('weighs each item by direction only, so a long catalogue vector does not dominate', () => {
    expectVector(averageStrategy([f32(10, 0, 0), f32(0, 0.5, 0)]), [Math.SQRT1_2, Math.SQRT1_2, 0]);
  });

  it('returns null with no items or when they cancel out', () => {
    expect(averageStrategy([])).toBeNull();
    expect(averageStrategy([f32(1, 2, 3), f32(-1, -2, -3)])).toBeNull();
    expect(averageStrategy([f32(0, 0, 0)])).toBeNull();
  });
});

describe('averageStrategy with the norms given', () => {
  it('gives the very floats it computes without them (zero vectors still skipped)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 5, maxLength: 5 }), { maxLength: 12 }), (rows) => {
        const vectors = rows.map((r) => Float32Array.from(r));
        const norms = vectors.map((v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0))); // l2Norm's sum, in its order
        expect(averageStrategy(vectors, norms)).toEqual(averageStrategy(vectors));
      }),
    );
  });
});

describe('trendStrategy', () => {
  it('splits the window by time and extrapolates forward: older half at 10°, newer half at 40°', () => {
    const trend = trendStrategy(drifting, 3)!;
    expect(trend.used).toBe(6);
    expectVector(trend.old, Array.from(at(10)));
    expectVector(trend.new, Array.from(at(40)));
    expect(trend.drift).toBeCloseTo(1 - Math.cos(rad(30)), 6);
    const x = 2 * Math.cos(rad(40)) - Math.cos(rad(10));
    const y = 2 * Math.sin(rad(40)) - Math.sin(rad(10));
    expectVector(trend.vector, [x / Math.hypot(x, y), y / Math.hypot(x, y), 0]); // ≈ 63.8°
  });

  it('points a user moving from A to B further towards B than their newest snapshot (not into the past, seed-errata 4)', () => {
    const trend = trendStrategy(drifting, 3)!;
    const newest = drifting.at(-1)!.vector;
    expect(cosine(trend.vector, B)).toBeGreaterThan(cosine(newest, B));
    expect(cosine(trend.vector, A)).toBeLessThan(cosine(newest, A));
  });

  it('gives the same result for any input order', () => {
    const expected = trendStrategy(drifting, 3)!;
    fc.assert(
      fc.property(fc.shuffledSubarray(drifting, { minLength: drifting.length, maxLength: drifting.length }), (shuffled) => {
        expect(trendStrategy(shuffled, 3)).toEqual(expected);
      }),
    );
  });

  it('gives the same result for any order of snapshots taken at the same instant', () => {
    const tied = [at(0), at(20), at(40), at(60)].map((vector) => ({ vector, takenAt: 1_000 }));
    const first = trendStrategy([...tied, { vector: at(80), takenAt: 2_000 }, { vector: at(5), takenAt: 500 }], 2);
    const second = trendStrategy([{ vector: at(5), takenAt: 500 }, ...tied.reverse(), { vector: at(80), takenAt: 2_000 }], 2);
    expect(second).toEqual(first);
  });

  it('uses only the newest 2W snapshots, W = min(window, ⌊n/2⌋)', () => {
    const ancient = [{ vector: f32(0, 0, 1), takenAt: 1 }, { vector: f32(0, 0, -1), takenAt: 2 }];
    expect(trendStrategy([...ancient, ...drifting], 3)).toEqual(trendStrategy(drifting, 3));
    const five = drifting.slice(1);
    const trend = trendStrategy(five, 10)!;
    expect(trend.used).toBe(4);
    expectVector(trend.old, Array.from(at(25)));
    expectVector(trend.new, Array.from(at(45)));
  });

  it('reports zero drift and the interest itself when it stands still', () => {
    const still = [1, 2, 3, 4].map((t) => ({ vector: at(30), takenAt: t }));
    const trend = trendStrategy(still, 2)!;
    expect(trend.drift).toBeCloseTo(0, 7);
    expectVector(trend.vector, Array.from(at(30)));
  });

  it('returns null with too little history', () => {
    expect(trendStrategy([], 5)).toBeNull();
    expect(trendStrategy(drifting.slice(0, 1), 5)).toBeNull();
    expect(trendStrategy(drifting, 0)).toBeNull();
  });
});
