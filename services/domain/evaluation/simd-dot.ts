/**
 * Scores a whole catalogue against one query vector with WebAssembly SIMD (f32x4): `evaluate` ranks
 * every item for every scored event and strategy, and plain JS loops over Float32Arrays reach about a
 * fifth of the 20,000 rankings per second that a 2,000-item catalogue needs.
 *
 * The module (assembled byte by byte by wasm-assembler.ts) has these functions:
 *   scores(matrix, query, out, blocks, queryBytes) — out[r] = Σ_j matrix[r][j] · query[j] in float32,
 * summed in component order (each step a fused multiply-add where relaxed SIMD is on, see
 * `DotKernel`), over a blocked matrix (see `interleave`): each query component is
 * loaded once per block and multiplies BLOCK_ROWS rows in eight f32x4 accumulators, with no
 * per-row horizontal sum; `sieve` (simd-sieve.ts), which counts and bounds those scores; and
 * `select` (simd-select.ts), which gathers the rows within a band of them. The
 * float32 sums are only a fast first pass: `CatalogueIndex` re-scores in float64 every item close
 * enough to matter.
 */
import { ADD, BLOCK, BR, BR_IF, END, GE_U, I32, LOOP, LT_U, SHL, V128, get, i32, carve, instantiate, memory, moduleBytes, set, simd, tee, type WasmFunction, type WasmInstance, type WasmMemory } from './wasm-assembler.js';
import { jsSieve, sieveFunction } from './simd-sieve.js';
import { jsSelect, selectFunction } from './simd-select.js';

// Locals: 0 matrix, 1 query, 2 out, 3 blocks, 4 rowBytes, 5 outEnd, 6 q, 7 qEnd, 8 splat, 9.. accumulators.
const V128_LOAD = memory(0x00, 4);
const V128_STORE = memory(0x0b, 4);
const LOAD32_SPLAT = simd(0x09, 2, 0);
const F32X4_MUL = simd(0xe6);
const F32X4_ADD = simd(0xe4);
/** Relaxed SIMD's f32x4.relaxed_madd(a, b, c) = a·b + c, fused where the CPU has FMA (one rounding instead of two). */
const F32X4_RELAXED_MADD = simd(0x105);
const ZERO = simd(0x0c, ...new Array<number>(16).fill(0));

/** Rows per block: one f32x4 accumulator per four rows, eight accumulators. */
export const BLOCK_ROWS = 32;
const ACCUMULATORS = BLOCK_ROWS / 4;
const SPLAT = 8;
const acc = (a: number) => 9 + a;
const each = (f: (a: number) => number[]) => Array.from({ length: ACCUMULATORS }, (_, a) => f(a)).flat();

/** acc_a += rows[4a..4a+3][j] · q[j]: a multiply and an add, or one relaxed multiply-add. */
const multiplyAdd = (fused: boolean) => (a: number) =>
  fused
    ? [...get(0), ...V128_LOAD(16 * a), ...get(SPLAT), ...get(acc(a)), ...F32X4_RELAXED_MADD, ...set(acc(a))]
    : [...get(acc(a)), ...get(0), ...V128_LOAD(16 * a), ...get(SPLAT), ...F32X4_MUL, ...F32X4_ADD, ...set(acc(a))];

const body = (fused: boolean) => [
  ...get(2), ...get(3), ...i32(Math.log2(BLOCK_ROWS * 4)), SHL, ADD, ...set(5),
  BLOCK, 0x40,
  LOOP, 0x40,
  ...get(2), ...get(5), GE_U, BR_IF, 1,
  ...each((a) => [...ZERO, ...set(acc(a))]),
  ...get(1), ...set(6), ...get(1), ...get(4), ADD, ...set(7),
  LOOP, 0x40,
  // one query component against the same component of BLOCK_ROWS rows: acc_a += rows[4a..4a+3][j] * q[j]
  ...get(6), ...LOAD32_SPLAT, ...set(SPLAT),
  ...each(multiplyAdd(fused)),
  ...get(0), ...i32(BLOCK_ROWS * 4), ADD, ...set(0),
  ...get(6), ...i32(4), ADD, ...tee(6), ...get(7), LT_U, BR_IF, 0,
  END,
  ...each((a) => [...get(2), ...get(acc(a)), ...V128_STORE(16 * a)]),
  ...get(2), ...i32(BLOCK_ROWS * 4), ADD, ...set(2),
  BR, 0,
  END,
  END,
];

const scoresFunction = (fused: boolean): WasmFunction => ({ name: 'scores', params: [I32, I32, I32, I32, I32], locals: [[3, I32], [1 + ACCUMULATORS, V128]], body: body(fused) });
const rankingModule = (fused: boolean) => () => moduleBytes([scoresFunction(fused), sieveFunction, selectFunction]);

/**
 * Which arithmetic `DotScorer.score` runs: `fused` (relaxed SIMD's multiply-add, on by default from
 * Node 22; ×1.32 per pass of 2,000 × 64 against `mul-add` on Node 24 here, ×1.09 at d = 256 where
 * the matrix no longer fits the cache: bench/dot-kernel.ts, docs/benchmarks.md),
 * `mul-add` (plain SIMD, Node 20), or `js` where WebAssembly SIMD is missing. All three stay within
 * `unitScoreError`, which is what the rankings rely on; the float32 scores may differ in their last
 * bits between them, the rankings built on them do not.
 */
export type DotKernel = 'fused' | 'mul-add' | 'js';

function instantiateRanking(prefer: DotKernel | undefined): { instance: WasmInstance | null; kernel: DotKernel } {
  if (prefer !== 'mul-add' && prefer !== 'js') {
    const instance = instantiate('ranking-fused', rankingModule(true));
    if (instance !== null) return { instance, kernel: 'fused' };
  }
  const instance = prefer === 'js' ? null : instantiate('ranking', rankingModule(false));
  return { instance, kernel: instance === null ? 'js' : 'mul-add' };
}

/**
 * Bound on |`DotScorer.score` − exact cosine| for unit rows and a unit query: (d + 8) units of
 * 2^-22, four times the worst case of d float32 products summed (a fused multiply-add rounds once
 * per step instead of twice, so it stays within the same bound).
 */
export function unitScoreError(dimension: number): number {
  return (dimension + 8) * 2 ** -22;
}

/** Floats per row in the padded matrix: a multiple of 8 (rows padded with zeros score the same). */
export function paddedDimension(dimension: number): number {
  return Math.ceil(dimension / 8) * 8;
}

/**
 * A catalogue matrix in WebAssembly memory and the buffers of a ranking beside it. `score(query)`
 * fills `out` with the float32 dot product of every row with the query; `sieve(hi, lo)` then counts
 * and bounds `out + offset` over the items whose `mask` byte is 0 (see simd-sieve.ts) into
 * `counts` and `blockMax`. Falls back to JS loops where WebAssembly SIMD is missing (same
 * arithmetic, slower).
 */
export class DotScorer {
  /** Float32 scores of the last `score` (rows past the catalogue's count read 0). */
  readonly out: Float32Array;
  /** Added in float64 to each score by `sieve` (a bias, or 0); write the first `count` entries. */
  readonly offset: Float64Array;
  /** 1 for an item `sieve` must skip; write the first `count` entries (padding rows stay 1). */
  readonly mask: Uint8Array;
  /** The last sieve's largest `out + offset` per block of BLOCK_ROWS rows (−∞: none eligible). */
  readonly blockMax: Float64Array;
  /** The last sieve's counts: [items above hi, items at or above lo]. */
  readonly counts: Int32Array;
  /** The rows the last `select` found, in row order (its return value says how many). */
  readonly selected: Int32Array;
  /** The arithmetic in use (see `DotKernel`). */
  readonly kernel: DotKernel;
  private readonly query: Float32Array;
  private readonly run: () => void;
  private readonly runSieve: (hi: number, lo: number) => void;
  private readonly runSelect: (lo: number, hi: number) => number;

  /**
   * `rows` is row-major, `count` rows of `paddedDimension(dimension)` floats. `prefer` names a
   * kernel to use instead of the fastest one available (tests and benchmarks compare them).
   */
  constructor(rows: Float32Array, count: number, dimension: number, prefer?: DotKernel) {
    const width = paddedDimension(dimension);
    if (rows.length !== count * width) throw new RangeError(`matrix has ${rows.length} floats, expected ${count} × ${width}`);
    const blocks = Math.ceil(count / BLOCK_ROWS);
    const padded = blocks * BLOCK_ROWS;
    const { instance, kernel } = instantiateRanking(prefer);
    this.kernel = kernel;
    if (instance === null) {
      [this.query, this.out, this.offset, this.mask, this.blockMax, this.counts, this.selected] = [new Float32Array(width), new Float32Array(padded), new Float64Array(padded), new Uint8Array(padded), new Float64Array(blocks), new Int32Array(2), new Int32Array(padded)];
      this.run = () => jsScores(rows, this.query, this.out, count, width);
      this.runSieve = (hi, lo) => jsSieve(this.out, this.offset, this.mask, this.blockMax, hi, lo, this.counts);
      this.runSelect = (lo, hi) => jsSelect(this.out, this.offset, this.mask, this.blockMax, lo, hi, this.selected);
    } else {
      const views = carve(instance.exports.memory as WasmMemory, [[Float32Array, padded * width], [Float32Array, width], [Float32Array, padded], [Float64Array, padded], [Float64Array, blocks], [Int32Array, 2], [Int32Array, padded], [Int32Array, 1], [Uint8Array, padded]]);
      const matrix = views[0] as Float32Array;
      interleave(rows, count, width, matrix);
      let selectedCount: Int32Array;
      [this.query, this.out, this.offset, this.blockMax, this.counts, this.selected, selectedCount, this.mask] = views.slice(1) as [Float32Array, Float32Array, Float64Array, Float64Array, Int32Array, Int32Array, Int32Array, Uint8Array];
      const scores = instance.exports.scores as (m: number, q: number, o: number, blocks: number, queryBytes: number) => void;
      const sieve = instance.exports.sieve as (o: number, off: number, mask: number, max: number, blocks: number, hi: number, lo: number, result: number) => void;
      const select = instance.exports.select as (o: number, off: number, mask: number, max: number, blocks: number, lo: number, hi: number, result: number, countAt: number) => void;
      const [m, q, o, off, max, result, selected, countAt, mask] = [matrix, this.query, this.out, this.offset, this.blockMax, this.counts, this.selected, selectedCount, this.mask].map((a) => a.byteOffset) as [number, number, number, number, number, number, number, number, number];
      this.run = () => scores(m, q, o, blocks, width * 4);
      this.runSieve = (hi, lo) => sieve(o, off, mask, max, blocks, hi, lo, result);
      this.runSelect = (lo, hi) => {
        select(o, off, mask, max, blocks, lo, hi, selected, countAt);
        return selectedCount[0]!;
      };
    }
    this.mask.fill(1, count);
  }

  /** Scores every row against `query` (any length up to the padded width; the rest counts as 0). */
  score(query: ArrayLike<number>): Float32Array {
    this.query.fill(0);
    this.query.set(query);
    this.run();
    return this.out;
  }

  /** Counts and bounds `out + offset` over the unmasked items; see simd-sieve.ts. */
  sieve(hi: number, lo: number): void {
    this.runSieve(hi, lo);
  }

  /** After `sieve`: puts in `selected` the unmasked rows with lo ≤ out + offset ≤ hi, in row order, and returns how many; see simd-select.ts. */
  select(lo: number, hi: number): number {
    return this.runSelect(lo, hi);
  }
}

/**
 * The blocked layout the module reads: BLOCK_ROWS rows at a time, component-major within a block
 * (component j of rows b·BLOCK_ROWS … +BLOCK_ROWS−1 side by side), so one loaded query component
 * multiplies BLOCK_ROWS rows with no horizontal sums. Rows past `count` stay zero.
 */
function interleave(rows: Float32Array, count: number, width: number, out: Float32Array): void {
  for (let r = 0; r < count; r++) {
    const base = Math.floor(r / BLOCK_ROWS) * BLOCK_ROWS * width + (r % BLOCK_ROWS);
    for (let j = 0; j < width; j++) out[base + j * BLOCK_ROWS] = rows[r * width + j]!;
  }
}

/** The module's arithmetic in JS: per row, float32 products summed in component order. */
function jsScores(m: Float32Array, q: Float32Array, out: Float32Array, n: number, width: number): void {
  for (let r = 0, o = 0; r < n; r++, o += width) {
    let acc = 0;
    for (let j = 0; j < width; j++) acc = Math.fround(acc + Math.fround(m[o + j]! * q[j]!));
    out[r] = acc;
  }
}
