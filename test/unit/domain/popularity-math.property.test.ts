import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coalesce } from '../../../services/adapters/redis/redis-popularity-store.js';
import { clampViewTime, decayedScore, parseStoredScore, rankByScore } from '../../../services/domain/popularity-math.js';

const anyDouble = fc.double();
const anyText = fc.oneof(fc.constantFrom('inf', '-inf', '+inf', 'nan', '', '1e308', '-0'), fc.double().map(String), fc.string());

describe('popularity math stays finite whatever it is given', () => {
  it('decayedScore is a finite number >= 0 for any stored score, epoch, clock and half-life', () => {
    fc.assert(
      fc.property(anyDouble, anyDouble, anyDouble, fc.double({ min: 1, max: 1e15, noNaN: true }), (stored, epoch0, now, half) => {
        const s = decayedScore(stored, epoch0, now, half);
        expect(Number.isFinite(s)).toBe(true);
        expect(s).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('decayedScore matches the plain formula where that formula is finite', () => {
    expect(decayedScore(8, 1000, 4000, 1000)).toBe(1);
    expect(decayedScore(1e300, 0, 2000 * 1000, 1000)).toBeCloseTo(1e300 * 2 ** -2000, 300);
    // The product form gives Infinity · 0 = NaN here; the log form gives MAX_VALUE · 2^-1000 ≈ 2^24.
    expect(decayedScore(Infinity, 0, 1000 * 1000, 1000) / 2 ** 24).toBeCloseTo(1, 12);
  });

  it('parseStoredScore never returns NaN', () => {
    fc.assert(fc.property(anyText, (t) => !Number.isNaN(parseStoredScore(t))));
    expect(parseStoredScore('inf')).toBe(Infinity);
    expect(parseStoredScore('-inf')).toBe(-Infinity);
    expect(parseStoredScore('2.5')).toBe(2.5);
  });

  it('a view time in microseconds counts as now + tolerance', () => {
    const now = 1_700_000_000_000;
    expect(clampViewTime(now * 1000, now, 300_000)).toBe(now + 300_000);
    expect(clampViewTime(now - 5, now, 300_000)).toBe(now - 5);
  });

  it('coalesce gives finite weights for any finite weights and times', () => {
    const inc = fc.record({ itemId: fc.constantFrom('a', 'b', 'c'), weight: fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }), at: fc.double({ noNaN: true, noDefaultInfinity: true }) });
    fc.assert(
      fc.property(fc.array(inc, { minLength: 1, maxLength: 20 }), fc.double({ min: 1, max: 1e12, noNaN: true }), (incs, half) => {
        for (const c of coalesce(incs, half)) expect(Number.isFinite(c.weight) && c.weight >= 0).toBe(true);
      }),
    );
  });

  it('rankByScore orders by score, then id, for any finite scores', () => {
    const row = fc.record({ itemId: fc.string({ maxLength: 3 }), score: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }) });
    fc.assert(
      fc.property(fc.array(row), (rows) => {
        const ranked = rankByScore([...rows]);
        for (let i = 1; i < ranked.length; i++) {
          const [a, b] = [ranked[i - 1]!, ranked[i]!];
          expect(a.score > b.score || (a.score === b.score && a.itemId <= b.itemId)).toBe(true);
        }
      }),
    );
  });
});
