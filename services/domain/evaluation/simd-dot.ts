/**
 * Scores a whole catalogue against one query vector with WebAssembly SIMD (f32x4): `evaluate` ranks
 * every item for every scored event and strategy, and plain JS loops over Float32Arrays reach about a
 * fifth of the 20,000 rankings per second that a 2,000-item catalogue needs.
 *
 * The module is one function, assembled below byte by byte (no toolchain needed):
 *   scores(matrix, query, out, blocks, queryBytes) — out[r] = Σ_j matrix[r][j] · query[j] in float32,
 * summed in component order, over a blocked matrix (see `interleave`): each query component is
 * loaded once per block and multiplies BLOCK_ROWS rows in eight f32x4 accumulators, with no
 * per-row horizontal sum. The float32 sums are only a fast first pass: `CatalogueIndex` re-scores
 * in float64 every item close enough to matter.
 */

/** The slice of the WebAssembly JS API used here (the project's TS libs carry no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

const I32 = 0x7f;
const V128 = 0x7b;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 for the small non-negative constants used here. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Instructions. Locals: 0 matrix, 1 query, 2 out, 3 blocks, 4 rowBytes, 5 outEnd, 6 q, 7 qEnd, 8 splat, 9.. accumulators.
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32 = (n: number) => [0x41, ...sleb(n)];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const V128_LOAD = (offset: number) => simd(0x00, 4, ...uleb(offset));
const V128_STORE = (offset: number) => simd(0x0b, 4, ...uleb(offset));
const LOAD32_SPLAT = simd(0x09, 2, 0);
const F32X4_MUL = simd(0xe6);
const F32X4_ADD = simd(0xe4);
const ZERO = simd(0x0c, ...new Array<number>(16).fill(0));
const [ADD, SHL, LT_U, GE_U, BLOCK, LOOP, END, BR, BR_IF] = [0x6a, 0x74, 0x49, 0x4f, 0x02, 0x03, 0x0b, 0x0c, 0x0d];

/** Rows per block: one f32x4 accumulator per four rows, eight accumulators. */
export const BLOCK_ROWS = 32;
const ACCUMULATORS = BLOCK_ROWS / 4;
const SPLAT = 8;
const acc = (a: number) => 9 + a;
const each = (f: (a: number) => number[]) => Array.from({ length: ACCUMULATORS }, (_, a) => f(a)).flat();

const body = [
  ...get(2), ...get(3), ...i32(Math.log2(BLOCK_ROWS * 4)), SHL, ADD, ...set(5),
  BLOCK, 0x40,
  LOOP, 0x40,
  ...get(2), ...get(5), GE_U, BR_IF, 1,
  ...each((a) => [...ZERO, ...set(acc(a))]),
  ...get(1), ...set(6), ...get(1), ...get(4), ADD, ...set(7),
  LOOP, 0x40,
  // one query component against the same component of BLOCK_ROWS rows: acc_a += rows[4a..4a+3][j] * q[j]
  ...get(6), ...LOAD32_SPLAT, ...set(SPLAT),
  ...each((a) => [...get(acc(a)), ...get(0), ...V128_LOAD(16 * a), ...get(SPLAT), ...F32X4_MUL, ...F32X4_ADD, ...set(acc(a))]),
  ...get(0), ...i32(BLOCK_ROWS * 4), ADD, ...set(0),
  ...get(6), ...i32(4), ADD, ...tee(6), ...get(7), LT_U, BR_IF, 0,
  END,
  ...each((a) => [...get(2), ...get(acc(a)), ...V128_STORE(16 * a)]),
  ...get(2), ...i32(BLOCK_ROWS * 4), ADD, ...set(2),
  BR, 0,
  END,
  END,
  END,
];

function moduleBytes(): Uint8Array {
  const locals = vector([[3, I32], [1 + ACCUMULATORS, V128]]);
  const code = [...locals, ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...vector([[I32], [I32], [I32], [I32], [I32]]), 0]])),
    ...section(3, vector([[0]])),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector([[...name('scores'), 0x00, 0], [...name('memory'), 0x02, 0]])),
    ...section(10, vector([[...uleb(code.length), ...code]])),
  ]);
}

/** Floats per row in the padded matrix: a multiple of 8 (rows padded with zeros score the same). */
export function paddedDimension(dimension: number): number {
  return Math.ceil(dimension / 8) * 8;
}

/**
 * A catalogue matrix in WebAssembly memory and the query/output buffers beside it. `score(query)`
 * fills `out` with the float32 dot product of every row with the query. Falls back to a JS loop
 * where WebAssembly SIMD is missing (same arithmetic, slower).
 */
export class DotScorer {
  readonly out: Float32Array;
  private readonly query: Float32Array;
  private readonly run: () => void;

  /** `rows` is row-major, `count` rows of `paddedDimension(dimension)` floats. */
  constructor(rows: Float32Array, count: number, dimension: number) {
    const width = paddedDimension(dimension);
    if (rows.length !== count * width) throw new RangeError(`matrix has ${rows.length} floats, expected ${count} × ${width}`);
    const instance = instantiate();
    if (instance === null) {
      this.query = new Float32Array(width);
      this.out = new Float32Array(count);
      this.run = () => jsScores(rows, this.query, this.out, count, width);
      return;
    }
    const blocks = Math.ceil(count / BLOCK_ROWS);
    const matrixBytes = blocks * BLOCK_ROWS * width * 4;
    const memory = instance.exports.memory as WasmMemory;
    const pages = Math.ceil((matrixBytes + width * 4 + blocks * BLOCK_ROWS * 4) / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    interleave(rows, count, width, new Float32Array(memory.buffer, 0, matrixBytes / 4));
    this.query = new Float32Array(memory.buffer, matrixBytes, width);
    this.out = new Float32Array(memory.buffer, matrixBytes + width * 4, count);
    const scores = instance.exports.scores as (m: number, q: number, o: number, blocks: number, queryBytes: number) => void;
    this.run = () => scores(0, matrixBytes, matrixBytes + width * 4, blocks, width * 4);
  }

  /** Scores every row against `query` (any length up to the padded width; the rest counts as 0). */
  score(query: ArrayLike<number>): Float32Array {
    this.query.fill(0);
    this.query.set(query);
    this.run();
    return this.out;
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

let compiled: object | null | undefined;

function instantiate(): WasmInstance | null {
  if (compiled === undefined) {
    try {
      if (wasm === undefined) throw new Error('no WebAssembly');
      compiled = new wasm.Module(moduleBytes());
    } catch {
      compiled = null;
    }
  }
  return compiled === null || wasm === undefined ? null : new wasm.Instance(compiled, {});
}

/** The module's arithmetic in JS: per row, float32 products summed in component order. */
function jsScores(m: Float32Array, q: Float32Array, out: Float32Array, n: number, width: number): void {
  for (let r = 0, o = 0; r < n; r++, o += width) {
    let acc = 0;
    for (let j = 0; j < width; j++) acc = Math.fround(acc + Math.fround(m[o + j]! * q[j]!));
    out[r] = acc;
  }
}
