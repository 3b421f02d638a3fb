/**
 * The second kernel of a ranking, run over the float32 scores the first one (simd-dot.ts) left:
 *   sieve(out, offset, mask, blockMax, blocks, hi, lo, result)
 * With a[r] = float64(out[r]) + offset[r] (the float32 score plus the per-item bias, in float64)
 * and only items whose mask byte is 0 (not excluded) taken: stores at `result` the number of items
 * with a > hi and the number with a ≥ lo (int32 each), and at blockMax[b] the largest a of block b's
 * BLOCK_ROWS items (−∞ when all are excluded). One pass, two items per f64x2 operation, no branch
 * per item: the count that gives the viewed item's rank, and the bound from which `CatalogueIndex`
 * finds the top K reading only the few blocks that can hold it.
 */
import { ADD, BLOCK, BR, BR_IF, END, F64, GE_U, I32, LOOP, SHL, V128, f64, get, i32, increment, memory, set, simd, type WasmFunction } from './wasm-assembler.js';

/** Rows per block, as in simd-dot.ts; eight groups of four. */
const BLOCK_ROWS = 32;
const GROUPS = BLOCK_ROWS / 4;

// Parameters 0-7 as above; locals: 8 end, 9 HI, 10 LO, 11 clear counts, 12 at-least-lo counts, 13 max, 14 scores, 15 mask lanes, 16 a, 17 eligible.
const [OUT, OFFSET, MASK, BLOCK_MAX, BLOCKS, HI_ARG, LO_ARG, RESULT] = [0, 1, 2, 3, 4, 5, 6, 7];
const [END_AT, HI, LO, CLEAR, AT_LEAST_LO, MAX, SCORES, MARKS, A, ELIGIBLE] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];

const V128_LOAD = memory(0x00, 4);
const LOAD32_ZERO = memory(0x5c, 2);
const ZERO = simd(0x0c, ...new Array<number>(16).fill(0));
const SPLAT_F64 = simd(0x14);
const F64_LANE = (lane: number) => simd(0x21, lane);
const I64_LANE = (lane: number) => simd(0x1d, lane);
/** Lanes 2 and 3 of a f32x4 moved to lanes 0 and 1. */
const HIGH_TO_LOW = simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
const PROMOTE_LOW = simd(0x5f);
const [F64X2_ADD, F64X2_GT, F64X2_GE, F64X2_PMAX] = [simd(0xf0), simd(0x4a), simd(0x4c), simd(0xf7)];
const [I64X2_SUB, I64X2_EQ, AND, BITSELECT] = [simd(0xd1), simd(0xd6), simd(0x4e), simd(0x52)];
const [WIDEN_8_16, WIDEN_16_32, WIDEN_LOW_32_64, WIDEN_HIGH_32_64] = [simd(0x89), simd(0xa9), simd(0xc9), simd(0xca)];
const [F64_MAX, F64_STORE, I32_STORE, I64_ADD, WRAP] = [0xa5, 0x39, 0x36, 0x7c, 0xa7];

/** counts += (a OP threshold) for eligible items: a true comparison is −1 in its lane. */
const count = (local: number, threshold: number, compare: number[]) => [...get(local), ...get(A), ...get(threshold), ...compare, ...get(ELIGIBLE), ...AND, ...I64X2_SUB, ...set(local)];
const laneSum = (local: number) => [...get(local), ...I64_LANE(0), ...get(local), ...I64_LANE(1), I64_ADD, WRAP];

/** Items 2h, 2h+1 of group g: a, eligibility, both counts and the running max. */
function half(g: number, h: number): number[] {
  return [
    ...get(SCORES), ...(h === 0 ? [] : [...get(SCORES), ...HIGH_TO_LOW]), ...PROMOTE_LOW,
    ...get(OFFSET), ...V128_LOAD(32 * g + 16 * h), ...F64X2_ADD, ...set(A),
    ...get(MARKS), ...(h === 0 ? WIDEN_LOW_32_64 : WIDEN_HIGH_32_64), ...ZERO, ...I64X2_EQ, ...set(ELIGIBLE),
    ...count(CLEAR, HI, F64X2_GT),
    ...count(AT_LEAST_LO, LO, F64X2_GE),
    ...get(MAX), ...get(A), ...f64(-Infinity), ...SPLAT_F64, ...get(ELIGIBLE), ...BITSELECT, ...F64X2_PMAX, ...set(MAX),
  ];
}

function group(g: number): number[] {
  return [
    ...get(OUT), ...V128_LOAD(16 * g), ...set(SCORES),
    ...get(MASK), ...LOAD32_ZERO(4 * g), ...WIDEN_8_16, ...WIDEN_16_32, ...set(MARKS),
    ...half(g, 0),
    ...half(g, 1),
  ];
}

const body = [
  ...get(BLOCK_MAX), ...get(BLOCKS), ...i32(3), SHL, ADD, ...set(END_AT),
  ...get(HI_ARG), ...SPLAT_F64, ...set(HI),
  ...get(LO_ARG), ...SPLAT_F64, ...set(LO),
  BLOCK, 0x40,
  LOOP, 0x40,
  ...get(BLOCK_MAX), ...get(END_AT), GE_U, BR_IF, 1,
  ...f64(-Infinity), ...SPLAT_F64, ...set(MAX),
  ...Array.from({ length: GROUPS }, (_, g) => group(g)).flat(),
  ...get(BLOCK_MAX), ...get(MAX), ...F64_LANE(0), ...get(MAX), ...F64_LANE(1), F64_MAX, F64_STORE, 3, 0,
  ...increment(OUT, BLOCK_ROWS * 4), ...increment(OFFSET, BLOCK_ROWS * 8), ...increment(MASK, BLOCK_ROWS), ...increment(BLOCK_MAX, 8),
  BR, 0,
  END,
  END,
  ...get(RESULT), ...laneSum(CLEAR), I32_STORE, 2, 0,
  ...get(RESULT), ...laneSum(AT_LEAST_LO), I32_STORE, 2, 4,
];

export const sieveFunction: WasmFunction = {
  name: 'sieve',
  params: [I32, I32, I32, I32, I32, F64, F64, I32],
  locals: [[1, I32], [9, V128]],
  body,
};

/** The kernel's arithmetic in JS (where WebAssembly SIMD is missing); same results. */
export function jsSieve(out: Float32Array, offset: Float64Array, mask: Uint8Array, blockMax: Float64Array, hi: number, lo: number, result: Int32Array): void {
  let clear = 0;
  let atLeastLo = 0;
  for (let b = 0; b < blockMax.length; b++) {
    let max = -Infinity;
    for (let r = b * BLOCK_ROWS; r < (b + 1) * BLOCK_ROWS; r++) {
      if (mask[r] !== 0) continue;
      const a = out[r]! + offset[r]!;
      if (a > hi) clear++;
      if (a >= lo) atLeastLo++;
      if (a > max) max = a;
    }
    blockMax[b] = max;
  }
  result[0] = clear;
  result[1] = atLeastLo;
}
