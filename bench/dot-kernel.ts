/**
 * The float32 first pass of a ranking (simd-dot.ts `DotScorer.score`) per kernel: microseconds per
 * pass over the whole catalogue, each kernel against plain SIMD (`mul-add`) in the same process.
 * `fused` (relaxed SIMD's multiply-add) exists from Node 22; on Node 20 it is reported as missing.
 *
 *   node --import tsx bench/dot-kernel.ts [--items 2000] [--dimension 64] [--passes 20000] [--rounds 5]
 *
 * CPU time (process.cpuUsage). The kernels take turns, `passes` passes each per round; the median of
 * the rounds is reported. Every kernel's scores are checked against float64 sums within
 * `unitScoreError`, so a kernel that is fast because it is wrong fails the run.
 */
import { parseArgs } from 'node:util';
import { DotScorer, paddedDimension, unitScoreError, type DotKernel } from '../services/domain/evaluation/simd-dot.js';
import { rng } from '../test/support/random.js';

const { values } = parseArgs({ options: { items: { type: 'string', default: '2000' }, dimension: { type: 'string', default: '64' }, passes: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } } });
const [n, d, passes, rounds] = [Number(values.items), Number(values.dimension), Number(values.passes), Number(values.rounds)];
const width = paddedDimension(d);
const rand = rng(11);

function unitRow(): Float32Array {
  const v = Float32Array.from({ length: d }, () => rand() - 0.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

const matrix = new Float32Array(n * width);
for (let r = 0; r < n; r++) matrix.set(unitRow(), r * width);
const queries = Array.from({ length: 64 }, unitRow);

const scorers = (['mul-add', 'fused', 'js'] as DotKernel[])
  .map((kernel) => new DotScorer(matrix, n, d, kernel))
  .filter((s, i, all) => all.findIndex((o) => o.kernel === s.kernel) === i);
const missing = ['mul-add', 'fused'].filter((k) => !scorers.some((s) => s.kernel === k));

for (const scorer of scorers) {
  const q = queries[0]!;
  const out = scorer.score(q);
  for (let r = 0; r < n; r++) {
    let exact = 0;
    for (let j = 0; j < d; j++) exact += matrix[r * width + j]! * q[j]!;
    if (Math.abs(exact - out[r]!) > unitScoreError(d)) throw new Error(`${scorer.kernel}: row ${r} is ${Math.abs(exact - out[r]!)} off, beyond the bound`);
  }
}

const times = new Map<DotKernel, number[]>(scorers.map((s) => [s.kernel, []]));
for (let round = 0; round < rounds; round++) {
  for (const scorer of round % 2 === 0 ? scorers : [...scorers].reverse()) {
    // The JS fallback is ~50 times slower: a tenth of the passes keeps the run short.
    const count = scorer.kernel === 'js' ? Math.ceil(passes / 10) : passes;
    const before = process.cpuUsage();
    for (let p = 0; p < count; p++) scorer.score(queries[p % queries.length]!);
    const used = process.cpuUsage(before);
    times.get(scorer.kernel)!.push((used.user + used.system) / count);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(times.get('mul-add') ?? [NaN]);
console.log(`Node ${process.versions.node}, ${n} items × d=${d}, ${passes} passes × ${rounds} rounds per kernel (median µs per pass, CPU)`);
for (const [kernel, ts] of times) console.log(`  ${kernel.padEnd(8)} ${median(ts).toFixed(2).padStart(8)} µs   ×${(base / median(ts)).toFixed(2)} of mul-add`);
for (const kernel of missing) console.log(`  ${kernel.padEnd(8)} not available on this Node`);
