/**
 * The third kernel of a ranking, run after the sieve (simd-sieve.ts) over the same buffers:
 *   select(out, offset, mask, blockMax, blocks, lo, hi, result, countAt)
 * With a[r] = float64(out[r]) + offset[r] as the sieve has it, writes at `result` (int32 each), in
 * row order, every row r whose mask byte is 0 and with lo ≤ a[r] ≤ hi, reading only the blocks whose
 * maximum (blockMax, from the sieve) reaches lo, and stores how many at `countAt`. `CatalogueIndex`
 * gathers with it the few items that could be in the top K, and those within the error band of the
 * viewed one: a scalar loop here costs less than the same loop over typed arrays in JS.
 */
import { ADD, BLOCK, BR, BR_IF, END, F64, GE_U, I32, LOOP, LT_U, SHL, get, i32, increment, scalarMemory, set, type WasmFunction } from './wasm-assembler.js';

const BLOCK_ROWS = 32;

const [OUT, OFFSET, MASK, BLOCK_MAX, BLOCKS, LO, HI, RESULT, COUNT_AT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
// Locals: 9 end of blockMax, 10 row, 11 end of the block's rows, 12 count, 13 a.
const [END_AT, ROW, ROW_END, COUNT, A] = [9, 10, 11, 12, 13];

const [F32_LOAD, F64_LOAD, I32_LOAD8_U, I32_STORE] = [scalarMemory(0x2a, 2)(0), scalarMemory(0x2b, 3)(0), scalarMemory(0x2d, 0)(0), scalarMemory(0x36, 2)(0)];
const [IF, ELSE, F64_GE, F64_LE, F64_ADD, PROMOTE, EQZ, AND] = [0x04, 0x05, 0x66, 0x65, 0xa0, 0xbb, 0x45, 0x71];
const address = (base: number, index: number, shift: number) => [...get(base), ...get(index), ...(shift === 0 ? [] : [...i32(shift), SHL]), ADD];

/** One row: a, the test, and the append. */
const row = [
  ...address(OUT, ROW, 2), ...F32_LOAD, PROMOTE, ...address(OFFSET, ROW, 3), ...F64_LOAD, F64_ADD, ...set(A),
  ...get(A), ...get(LO), F64_GE, ...get(A), ...get(HI), F64_LE, AND, ...address(MASK, ROW, 0), ...I32_LOAD8_U, EQZ, AND,
  IF, 0x40,
  ...address(RESULT, COUNT, 2), ...get(ROW), ...I32_STORE,
  ...increment(COUNT, 1),
  END,
];

const body = [
  ...get(BLOCK_MAX), ...get(BLOCKS), ...i32(3), SHL, ADD, ...set(END_AT),
  BLOCK, 0x40,
  LOOP, 0x40,
  ...get(BLOCK_MAX), ...get(END_AT), GE_U, BR_IF, 1,
  ...get(BLOCK_MAX), ...F64_LOAD, ...get(LO), F64_GE,
  IF, 0x40,
  ...get(ROW), ...i32(BLOCK_ROWS), ADD, ...set(ROW_END),
  LOOP, 0x40,
  ...row,
  ...increment(ROW, 1),
  ...get(ROW), ...get(ROW_END), LT_U, BR_IF, 0,
  END,
  ELSE,
  ...increment(ROW, BLOCK_ROWS),
  END,
  ...increment(BLOCK_MAX, 8),
  BR, 0,
  END,
  END,
  ...get(COUNT_AT), ...get(COUNT), ...I32_STORE,
];

export const selectFunction: WasmFunction = {
  name: 'select',
  params: [I32, I32, I32, I32, I32, F64, F64, I32, I32],
  locals: [[4, I32], [1, F64]],
  body,
};


/** The kernel in JS (where WebAssembly SIMD is missing); same result. Returns the count. */
export function jsSelect(out: Float32Array, offset: Float64Array, mask: Uint8Array, blockMax: Float64Array, lo: number, hi: number, result: Int32Array): number {
  let count = 0;
  for (let b = 0; b < blockMax.length; b++) {
    if (!(blockMax[b]! >= lo)) continue;
    for (let r = b * BLOCK_ROWS; r < (b + 1) * BLOCK_ROWS; r++) {
      const a = out[r]! + offset[r]!;
      if (a >= lo && a <= hi && mask[r] === 0) result[count++] = r;
    }
  }
  return count;
}
