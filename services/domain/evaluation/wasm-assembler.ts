/**
 * Just enough of the WebAssembly binary format to write the ranking kernels (simd-dot.ts,
 * simd-sieve.ts, simd-select.ts, exact-dots.ts) byte by byte, with no toolchain: LEB128 numbers, the instructions they use, and a
 * module of functions sharing one exported memory.
 */

/** The slice of the WebAssembly JS API used here (the project's TS libs carry no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
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

export const get = (i: number) => [0x20, i];
export const set = (i: number) => [0x21, i];
export const tee = (i: number) => [0x22, i];
export const i32 = (n: number) => [0x41, ...sleb(n)];
export const f64 = (x: number) => [0x44, ...new Uint8Array(Float64Array.of(x).buffer)];
export const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
/** A SIMD memory instruction with its alignment (log2 bytes) and constant offset. */
export const memory = (op: number, align: number) => (offset: number) => simd(op, align, ...uleb(offset));
/** A scalar memory instruction (load or store) with its alignment (log2 bytes) and constant offset. */
export const scalarMemory = (op: number, align: number) => (offset: number) => [op, align, ...uleb(offset)];
export const [ADD, SHL, LT_U, GE_U, BLOCK, LOOP, END, BR, BR_IF] = [0x6a, 0x74, 0x49, 0x4f, 0x02, 0x03, 0x0b, 0x0c, 0x0d];
/** local += by (i32). */
export const increment = (local: number, by: number) => [...get(local), ...i32(by), ADD, ...set(local)];

/** One exported function: parameter types, extra locals as (count, type) runs, and its body (without the final END). */
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  readonly locals: ReadonlyArray<readonly [number, number]>;
  readonly body: readonly number[];
}

/** A module of result-less functions over one exported memory, "memory". */
export function moduleBytes(functions: readonly WasmFunction[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((p) => [p])), 0]);
  const codes = functions.map((f) => {
    const code = [...vector(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body, END];
    return [...uleb(code.length), ...code];
  });
  const exports = functions.map((f, i) => [...name(f.name), 0x00, i]);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(3, vector(functions.map((_, i) => [i]))),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector([...exports, [...name('memory'), 0x02, 0]])),
    ...section(10, vector(codes)),
  ]);
}

const compiled = new Map<string, object | null>();

type View = Float32Array | Float64Array | Int32Array | Uint8Array;
type ViewType = { new (buffer: ArrayBuffer, offset: number, length: number): View; BYTES_PER_ELEMENT: number };

/**
 * Consecutive typed arrays over a WebAssembly memory, grown once beforehand (growing detaches the
 * views already made). Every array starts on an 8-byte boundary.
 */
export function carve(memory: WasmMemory, parts: ReadonlyArray<readonly [ViewType, number]>): View[] {
  const bytes = parts.map(([type, length]) => Math.ceil((length * type.BYTES_PER_ELEMENT) / 8) * 8);
  const pages = Math.ceil(bytes.reduce((a, b) => a + b, 0) / 65536) - memory.buffer.byteLength / 65536;
  if (pages > 0) memory.grow(pages);
  let at = 0;
  return parts.map(([type, length], i) => {
    const view = new type(memory.buffer, at, length);
    at += bytes[i]!;
    return view;
  });
}

/** A fresh instance of the module (compiled once per key), or null where WebAssembly or its SIMD is missing. */
export function instantiate(key: string, build: () => Uint8Array): WasmInstance | null {
  if (!compiled.has(key)) {
    try {
      if (wasm === undefined) throw new Error('no WebAssembly');
      compiled.set(key, new wasm.Module(build()));
    } catch {
      compiled.set(key, null);
    }
  }
  const module = compiled.get(key);
  return module === null || module === undefined || wasm === undefined ? null : new wasm.Instance(module, {});
}
