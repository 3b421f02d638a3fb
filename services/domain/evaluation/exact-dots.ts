/**
 * Float64 dot products of float32 rows, each summed in component order exactly as a one-at-a-time
 * JS loop (`sum += a[j] * b[j]`) sums it, so to the last bit the same: the exact re-scoring of a
 * ranking's top (an item against the query) and intra-list similarity (item against item). In
 * WebAssembly, four products in independent chains, with no bounds check or conversion call per
 * load; about twice as fast as the same four chains over typed arrays in JS.
 *
 *   pairDots(rows, rowBytes, left, right, count, out)
 *     out[k] = Σ_j rows[left[k]][j] · rows[right[k]][j], j ascending, in float64, for k < count
 *     (count a multiple of 4; rows of rowBytes bytes, float32)
 */
import { ADD, BLOCK, BR_IF, END, F64, GE_U, I32, LOOP, LT_U, carve, get, i32, increment, instantiate, moduleBytes, scalarMemory, set, tee, type WasmFunction, type WasmMemory } from './wasm-assembler.js';

/** Pairs per call: the index and result buffers' length. */
export const BATCH = 256;
const LANES = 4;

const [ROWS, ROW_BYTES, LEFT, RIGHT, COUNT, OUT] = [0, 1, 2, 3, 4, 5];
// Locals: 6 end of left, 7 end of the row, 8-11 left row pointers, 12-15 right row pointers, 16-19 sums.
const [LEFT_END, ROW_END] = [6, 7];
const a = (m: number) => 8 + m;
const b = (m: number) => 12 + m;
const s = (m: number) => 16 + m;

const [I32_LOAD, F32_LOAD, F64_STORE] = [scalarMemory(0x28, 2), scalarMemory(0x2a, 2), scalarMemory(0x39, 3)];
const [I32_MUL, F64_MUL, F64_ADD, PROMOTE] = [0x6c, 0xa2, 0xa0, 0xbb];
const F64_ZERO = [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
const lanes = (f: (m: number) => number[]) => Array.from({ length: LANES }, (_, m) => f(m)).flat();
const rowOf = (list: number, m: number) => [...get(ROWS), ...get(list), ...I32_LOAD(4 * m), ...get(ROW_BYTES), I32_MUL, ADD];

const body = [
  ...get(LEFT), ...get(COUNT), ...i32(4), I32_MUL, ADD, ...set(LEFT_END),
  BLOCK, 0x40,
  LOOP, 0x40,
  ...get(LEFT), ...get(LEFT_END), GE_U, BR_IF, 1,
  ...lanes((m) => [...rowOf(LEFT, m), ...set(a(m)), ...rowOf(RIGHT, m), ...set(b(m)), ...F64_ZERO, ...set(s(m))]),
  ...get(a(0)), ...get(ROW_BYTES), ADD, ...set(ROW_END),
  LOOP, 0x40,
  ...lanes((m) => [...get(s(m)), ...get(a(m)), ...F32_LOAD(0), PROMOTE, ...get(b(m)), ...F32_LOAD(0), PROMOTE, F64_MUL, F64_ADD, ...set(s(m))]),
  ...lanes((m) => [...increment(a(m), 4), ...increment(b(m), 4)]),
  ...get(a(0)), ...get(ROW_END), LT_U, BR_IF, 0,
  END,
  ...lanes((m) => [...get(OUT), ...get(s(m)), ...F64_STORE(8 * m)]),
  ...increment(OUT, 8 * LANES), ...increment(RIGHT, 4 * LANES),
  ...get(LEFT), ...i32(4 * LANES), ADD, ...tee(LEFT), ...get(LEFT_END), LT_U, BR_IF, 0,
  END,
  END,
];

const pairDotsFunction: WasmFunction = { name: 'pairDots', params: [I32, I32, I32, I32, I32, I32], locals: [[2 + 2 * LANES, I32], [LANES, F64]], body };

/**
 * `count` float32 rows of `dimension` and one more, the query row, in WebAssembly memory, with the
 * pair buffers: fill `left`/`right` with row numbers, `run(m)`, read `out`.
 */
export class ExactDots {
  /** The rows, then the query row (at `queryRow`). */
  readonly rows: Float32Array;
  readonly queryRow: number;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly out: Float64Array;
  private readonly runPairs: (count: number) => void;

  constructor(count: number, private readonly dimension: number) {
    this.queryRow = count;
    const floats = (count + 1) * dimension;
    const instance = instantiate('exact-dots', () => moduleBytes([pairDotsFunction]));
    if (instance === null) {
      [this.rows, this.left, this.right, this.out] = [new Float32Array(floats), new Int32Array(BATCH), new Int32Array(BATCH), new Float64Array(BATCH)];
      this.runPairs = (m) => jsPairDots(this.rows, dimension, this.left, this.right, m, this.out);
      return;
    }
    const views = carve(instance.exports.memory as WasmMemory, [[Float32Array, floats], [Float64Array, BATCH], [Int32Array, BATCH], [Int32Array, BATCH]]);
    [this.rows, this.out, this.left, this.right] = views as [Float32Array, Float64Array, Int32Array, Int32Array];
    const pairDots = instance.exports.pairDots as (rows: number, rowBytes: number, left: number, right: number, count: number, out: number) => void;
    const [left, right, out] = [this.left.byteOffset, this.right.byteOffset, this.out.byteOffset];
    this.runPairs = (m) => pairDots(0, dimension * 4, left, right, Math.ceil(m / LANES) * LANES, out);
  }

  /** Makes `query` the query row. */
  setQuery(query: Float32Array): void {
    this.rows.set(query, this.queryRow * this.dimension);
  }

  /** out[k] for the first m pairs of `left` and `right` (m ≤ BATCH); the rest of the last four are filled with row 0. */
  run(m: number): void {
    for (let k = m; k < Math.min(BATCH, Math.ceil(m / LANES) * LANES); k++) {
      this.left[k] = 0;
      this.right[k] = 0;
    }
    this.runPairs(m);
  }
}

/** The kernel's arithmetic in JS (where WebAssembly is missing). */
function jsPairDots(rows: Float32Array, d: number, left: Int32Array, right: Int32Array, count: number, out: Float64Array): void {
  for (let k = 0; k < count; k++) {
    const x = left[k]! * d;
    const y = right[k]! * d;
    let sum = 0;
    for (let j = 0; j < d; j++) sum += rows[x + j]! * rows[y + j]!;
    out[k] = sum;
  }
}
