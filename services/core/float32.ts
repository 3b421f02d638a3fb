/**
 * Vectors travel as raw little-endian float32 bytes (Redis values, snapshot payloads), never as
 * JSON: 4 bytes a component, bit-exact. Every supported platform is little-endian; `assertLE`
 * makes that assumption loud instead of silent.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLE(): void {
  if (!LITTLE_ENDIAN) throw new Error('interest-stream stores float32 vectors little-endian and needs a little-endian CPU');
}

/** A Buffer view of the vector's bytes (no copy). */
export function float32ToBuffer(v: Float32Array): Buffer {
  assertLE();
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Copies bytes into a fresh, aligned Float32Array. */
export function bufferToFloat32(b: Uint8Array): Float32Array {
  assertLE();
  if (b.byteLength % 4 !== 0) throw new RangeError(`a float32 vector needs a multiple of 4 bytes, got ${b.byteLength}`);
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}
