import { describe, expect, it } from 'vitest';
import { DotScorer, paddedDimension } from '../../../../services/domain/evaluation/simd-dot.js';
import { rng } from '../../../support/random.js';

describe('SIMD dot products', () => {
  it.each([3, 8, 64, 100])('scores every row within the error bound the ranking relies on (d=%i)', (d) => {
    const rand = rng(d);
    const n = 500;
    const width = paddedDimension(d);
    const unit = (v: number[]) => {
      const norm = Math.hypot(...v);
      return v.map((x) => x / norm);
    };
    const rows = Array.from({ length: n }, () => unit(Array.from({ length: d }, () => rand() - 0.5)));
    const matrix = new Float32Array(n * width);
    rows.forEach((r, i) => matrix.set(r, i * width));
    const q = Float32Array.from(unit(Array.from({ length: d }, () => rand() - 0.5)));
    const out = new DotScorer(matrix, n, d).score(q);
    const bound = (d + 8) * 2 ** -22;
    let worst = 0;
    rows.forEach((_, i) => {
      let exact = 0;
      for (let j = 0; j < d; j++) exact += matrix[i * width + j]! * q[j]!;
      worst = Math.max(worst, Math.abs(exact - out[i]!));
    });
    expect(worst).toBeLessThan(bound);
    expect(worst).toBeGreaterThan(0); // float32 sums: not exact, which is why the ranking re-scores near ties
  });

  it('refuses a matrix of the wrong size', () => {
    expect(() => new DotScorer(new Float32Array(10), 2, 4)).toThrow('matrix has 10 floats, expected 2 × 8');
  });
});
