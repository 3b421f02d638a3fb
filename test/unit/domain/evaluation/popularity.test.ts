import { describe, expect, it } from 'vitest';
import { DecayedCounts, LogPopularityBias } from '../../../../services/domain/evaluation/popularity.js';
import { rng } from '../../../support/random.js';

const HOUR = 3_600_000;

describe('LogPopularityBias', () => {
  it('gives λ·log(1 + decayed count) exactly, and approximations within its bounds, as views come (some late) and time passes', () => {
    const rand = rng(5);
    const counts = new DecayedCounts(50, HOUR);
    const terms = [0, 0.05, 3].map((lambda) => ({ lambda, term: new LogPopularityBias(counts, lambda) }));
    const wrong: string[] = [];
    let now = 1_000_000;
    for (let step = 0; step < 3000; step++) {
      // mostly seconds apart, sometimes hours; a few views and rankings stamped before the last one
      now += rand() < 0.02 ? rand() * 5 * HOUR : rand() * 3000;
      const at = rand() < 0.1 ? now - rand() * 60_000 : now;
      const item = Math.floor(rand() * rand() * 50);
      counts.record(item, 0.5 + rand(), at);
      for (const { term } of terms) term.recorded(item);
      const rankedAt = rand() < 0.1 ? now - rand() * 600_000 : now;
      for (const { lambda, term } of terms) {
        term.at(rankedAt);
        if (Math.max(term.below, term.above) >= 2 ** -17) wrong.push(`step ${step}, λ ${lambda}: bounds ${term.below}, ${term.above}`);
        for (let i = 0; i < 50; i++) {
          const exact = term.exact(i);
          if (exact !== lambda * Math.log1p(counts.raw[i]! * counts.scaleAt(rankedAt))) wrong.push(`step ${step}, λ ${lambda}, item ${i}: not exact`);
          if (!(exact >= term.approx[i]! - term.below && exact <= term.approx[i]! + term.above)) wrong.push(`step ${step}, λ ${lambda}, item ${i}: out of bounds`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('follows a rescale of every count (hundreds of half-lives on)', () => {
    const counts = new DecayedCounts(3, 1000);
    const term = new LogPopularityBias(counts, 1);
    counts.record(0, 1, 0);
    term.recorded(0);
    term.at(0);
    expect([...term.approx]).toEqual([Math.log1p(1), 0, 0]);
    counts.record(1, 1, 600_000); // 600 half-lives later: the counts are rescaled
    term.recorded(1);
    term.at(600_000);
    expect([...term.approx]).toEqual([0, 1, 2].map((i) => term.exact(i)));
    expect(term.exact(1)).toBe(Math.log1p(1));
  });
});
