/**
 * Scores a whole catalogue against one query vector with WebAssembly SIMD (f32x4): `evaluate` ranks
 * every item for every scored event and strategy, and plain JS loops over Float32Arrays reach about a
 * fifth of the 20,000 rankings per second that a 2,000-item catalogue needs.
 *
 * The module is one function, assembled below byte by byte (no toolchain needed):
 *   scores(matrix, query, out, rows, rowBytes) — out[r] = Σ_j matrix[r][j] · query[j] in float32,
 * two f32x4 accumulators per row, rows padded to a multiple of 8 floats. The float32 sums are only a
 * fast first pass: `CatalogueIndex` re-scores in float64 every item close enough to matter.
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

// Instructions. Locals: 0 matrix, 1 query, 2 out, 3 rows, 4 rowBytes, 5 end, 6 j, 7 acc0, 8 acc1.
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32 = (n: number) => [0x41, ...sleb(n)];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const V128_LOAD = (offset: number) => simd(0x00, 4, ...uleb(offset));
const F32X4_MUL = simd(0xe6);
const F32X4_ADD = simd(0xe4);
const ZERO = simd(0x0c, ...new Array<number>(16).fill(0));
const lane = (l: number) => [...get(7), ...simd(0x1f, l)];
const [ADD, SHL, LT_U, GE_U, F32_ADD, BLOCK, LOOP, END, BR, BR_IF] = [0x6a, 0x74, 0x49, 0x4f, 0x92, 0x02, 0x03, 0x0b, 0x0c, 0x0d];

/** acc += matrix[j + offset .. +4] * query[j + offset .. +4] */
const mac = (acc: number, offset: number) => [...get(acc), ...get(0), ...get(6), ADD, ...V128_LOAD(offset), ...get(1), ...get(6), ADD, ...V128_LOAD(offset), ...F32X4_MUL, ...F32X4_ADD, ...set(acc)];

const body = [
  ...get(2), ...get(3), ...i32(2), SHL, ADD, ...set(5),
  BLOCK, 0x40,
  LOOP, 0x40,
  ...get(2), ...get(5), GE_U, BR_IF, 1,
  ...ZERO, ...set(7), ...ZERO, ...set(8), ...i32(0), ...set(6),
  LOOP, 0x40,
  ...mac(7, 0), ...mac(8, 16),
  ...get(6), ...i32(32), ADD, ...tee(6), ...get(4), LT_U, BR_IF, 0,
  END,
  // acc0 += acc1, then out[r] = (lane0 + lane1) + (lane2 + lane3)
  ...get(7), ...get(8), ...F32X4_ADD, ...set(7),
  ...get(2), ...lane(0), ...lane(1), F32_ADD, ...lane(2), ...lane(3), F32_ADD, F32_ADD, 0x38, 2, 0,
  ...get(0), ...get(4), ADD, ...set(0),
  ...get(2), ...i32(4), ADD, ...set(2),
  BR, 0,
  END,
  END,
  END,
];

function moduleBytes(): Uint8Array {
  const locals = vector([[2, I32], [2, V128]]);
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

/** Floats per row in the padded matrix: a multiple of 8 (two f32x4 accumulators per step). */
export function paddedDimension(dimension: number): number {
  return Math.ceil(dimension / 8) * 8;
}

/**
 * A catalogue matrix in WebAssembly memory and the query/output buffers beside it. `score(query)`
 * fills `out` with the float32 dot product of every row with the query. Falls back to a JS loop
 * where WebAssembly SIMD is missing (same arithmetic order, slower).
 */
export class DotScorer {
  readonly out: Float32Array;
  private readonly query: Float32Array;
  private readonly run: () => void;

  /** `rows` is row-major, `count` rows of `paddedDimension(dimension)` floats. */
  constructor(rows: Float32Array, count: number, dimension: number) {
    const width = paddedDimension(dimension);
    if (rows.length !== count * width) throw new RangeError(`matrix has ${rows.length} floats, expected ${count} × ${width}`);
    const matrixBytes = rows.length * 4;
    const total = matrixBytes + width * 4 + count * 4;
    const instance = instantiate();
    if (instance === null) {
      this.query = new Float32Array(width);
      this.out = new Float32Array(count);
      this.run = () => jsScores(rows, this.query, this.out, count, width);
      return;
    }
    const memory = instance.exports.memory as WasmMemory;
    const pages = Math.ceil(total / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    new Float32Array(memory.buffer, 0, rows.length).set(rows);
    this.query = new Float32Array(memory.buffer, matrixBytes, width);
    this.out = new Float32Array(memory.buffer, matrixBytes + width * 4, count);
    const scores = instance.exports.scores as (m: number, q: number, o: number, n: number, rowBytes: number) => void;
    this.run = () => scores(0, matrixBytes, matrixBytes + width * 4, count, width * 4);
  }

  /** Scores every row against `query` (any length up to the padded width; the rest counts as 0). */
  score(query: ArrayLike<number>): Float32Array {
    this.query.fill(0);
    this.query.set(query);
    this.run();
    return this.out;
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

/** The module's arithmetic in JS: lanes j mod 8 summed as the two f32x4 accumulators would. */
function jsScores(m: Float32Array, q: Float32Array, out: Float32Array, n: number, width: number): void {
  const acc = new Float32Array(8);
  for (let r = 0, o = 0; r < n; r++, o += width) {
    acc.fill(0);
    for (let j = 0; j < width; j++) acc[j & 7] = acc[j & 7]! + Math.fround(m[o + j]! * q[j]!);
    const l = [0, 1, 2, 3].map((i) => Math.fround(acc[i]! + acc[i + 4]!));
    out[r] = Math.fround(Math.fround(l[0]! + l[1]!) + Math.fround(l[2]! + l[3]!));
  }
}
