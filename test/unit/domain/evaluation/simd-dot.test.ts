import { describe, expect, it } from 'vitest';
import { DotScorer, paddedDimension, type DotKernel } from '../../../../services/domain/evaluation/simd-dot.js';
import { jsSelect } from '../../../../services/domain/evaluation/simd-select.js';
import { rng } from '../../../support/random.js';

/** The kernels this Node can run: relaxed SIMD's fused multiply-add is on by default from Node 22 (V8 11.4+). */
const nodeMajor = Number(process.versions.node.split('.')[0]);
const kernels: DotKernel[] = nodeMajor >= 22 ? ['fused', 'mul-add', 'js'] : ['mul-add', 'js'];

describe('SIMD dot products', () => {
  it('uses the fused multiply-add where relaxed SIMD is on (Node 22 and later), plain SIMD before', () => {
    expect(new DotScorer(new Float32Array(8), 1, 8).kernel).toBe(nodeMajor >= 22 ? 'fused' : 'mul-add');
    expect(new DotScorer(new Float32Array(8), 1, 8, 'mul-add').kernel).toBe('mul-add');
    expect(new DotScorer(new Float32Array(8), 1, 8, 'js').kernel).toBe('js');
  });

  it.each(kernels.flatMap((kernel) => [3, 8, 64, 100].map((d) => [kernel, d] as const)))('%s: scores every row within the error bound the ranking relies on (d=%i)', (kernel, d) => {
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
    const scorer = new DotScorer(matrix, n, d, kernel);
    expect(scorer.kernel).toBe(kernel);
    const out = scorer.score(q);
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

  it('sieves the scores plus offsets: counts above hi and at or above lo, and the best per block of 32, skipping masked items', () => {
    const n = 70; // two full blocks and a partial third, whose padding rows must not count
    const d = 4;
    const matrix = new Float32Array(n * paddedDimension(d));
    for (let r = 0; r < n; r++) matrix[r * paddedDimension(d)] = r / 64; // score of row r against [1, 0, 0, 0]: r / 64, exact in float32
    const scorer = new DotScorer(matrix, n, d);
    scorer.score([1, 0, 0, 0]);
    for (let r = 0; r < n; r++) {
      scorer.offset[r] = r % 3 === 0 ? 0.25 : 0;
      scorer.mask[r] = r % 5 === 0 ? 1 : 0;
    }
    const a = (r: number) => r / 64 + (r % 3 === 0 ? 0.25 : 0);
    const eligible = Array.from({ length: n }, (_, r) => r).filter((r) => r % 5 !== 0);
    scorer.sieve(0.5, 0.375);
    expect([...scorer.counts]).toEqual([eligible.filter((r) => a(r) > 0.5).length, eligible.filter((r) => a(r) >= 0.375).length]);
    // block 0: rows 0-31, best eligible 27 (27/64 + 0.25; 30 is masked); block 1: 63 (63/64 + 0.25); block 2: rows 64-69, 69 (69/64 + 0.25)
    expect([...scorer.blockMax]).toEqual([27 / 64 + 0.25, 63 / 64 + 0.25, 69 / 64 + 0.25]);
    for (let r = 0; r < n; r++) scorer.mask[r] = r >= 32 ? 1 : 0;
    scorer.sieve(10, 10);
    expect([...scorer.counts]).toEqual([0, 0]);
    expect(scorer.blockMax[1]).toBe(-Infinity);
  });

  it('selects, after a sieve, the unmasked rows within [lo, hi], in row order, reading only the blocks whose best reaches lo', () => {
    const n = 70;
    const d = 4;
    const matrix = new Float32Array(n * paddedDimension(d));
    for (let r = 0; r < n; r++) matrix[r * paddedDimension(d)] = r / 64;
    const scorer = new DotScorer(matrix, n, d);
    scorer.score([1, 0, 0, 0]);
    for (let r = 0; r < n; r++) {
      scorer.offset[r] = r % 3 === 0 ? 0.25 : 0;
      scorer.mask[r] = r % 5 === 0 ? 1 : 0;
    }
    scorer.sieve(Infinity, Infinity);
    const rows = (count: number) => [...scorer.selected.subarray(0, count)];
    // a = r/64, plus 0.25 when r % 3 === 0; rows 0, 5, 10, … masked
    expect(rows(scorer.select(0.5, 0.6))).toEqual([18, 21, 32, 34, 37, 38]);
    expect(rows(scorer.select(69 / 64 + 0.25, Infinity))).toEqual([69]);
    expect(rows(scorer.select(-Infinity, Infinity))).toEqual(Array.from({ length: n }, (_, r) => r).filter((r) => r % 5 !== 0));
    // the block maxima decide which blocks are read: a block whose recorded best is below lo is skipped whole
    scorer.blockMax[1] = 0;
    expect(rows(scorer.select(0.5, 0.6))).toEqual([18, 21]);
    // the JS fallback (no WebAssembly SIMD) selects the same rows
    const fallback = new Int32Array(96);
    const count = jsSelect(scorer.out, scorer.offset, scorer.mask, scorer.blockMax, 0.5, 0.6, fallback);
    expect([...fallback.subarray(0, count)]).toEqual([18, 21]);
  });

  it('refuses a matrix of the wrong size', () => {
    expect(() => new DotScorer(new Float32Array(10), 2, 4)).toThrow('matrix has 10 floats, expected 2 × 8');
  });
});
