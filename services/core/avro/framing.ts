import { InterestStreamError } from '../../domain/errors.js';

/**
 * Byte-level framing of Avro messages. Two framings carry the writer schema's identity:
 *
 * - Confluent Schema Registry: `0x00` + 4-byte big-endian schema id + Avro binary.
 * - Avro single-object encoding: `0xC3 0x01` + 8-byte little-endian CRC-64-AVRO fingerprint of the
 *   writer schema's Parsing Canonical Form + Avro binary.
 *
 * Nothing here knows about Avro types; see codec.ts for that.
 */

export const CONFLUENT_MAGIC = 0x00;
export const CONFLUENT_HEADER_BYTES = 5;
export const SINGLE_OBJECT_MAGIC = Buffer.from([0xc3, 0x01]);
export const SINGLE_OBJECT_HEADER_BYTES = 10;

/** The Rabin fingerprint of the empty string, the seed of CRC-64-AVRO (Avro spec, "Schema Fingerprints"). */
const EMPTY64 = 0xc15d213aa4d7a795n;
const MASK64 = 0xffffffffffffffffn;

const FP_TABLE: readonly bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY64 & (-(fp & 1n) & MASK64));
    table.push(fp);
  }
  return table;
})();

/**
 * CRC-64-AVRO (the 64-bit Rabin fingerprint of the Avro spec) of UTF-8 text or bytes, as an
 * unsigned 64-bit bigint. BigInt is slow, but fingerprints are computed once per schema.
 */
export function rabinFingerprint64(data: string | Uint8Array): bigint {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fp = EMPTY64;
  for (const b of bytes) fp = (fp >> 8n) ^ FP_TABLE[Number((fp ^ BigInt(b)) & 0xffn)]!;
  return fp;
}

/** The 8 little-endian bytes the single-object header carries for a fingerprint. */
export function fingerprintBytes(fingerprint: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fingerprint);
  return out;
}

/** Prefixes an Avro body with the single-object header. `fingerprint` is the 8-byte little-endian form. */
export function frameSingleObject(fingerprint: Buffer, body: Buffer): Buffer {
  return Buffer.concat([SINGLE_OBJECT_MAGIC, fingerprint, body], SINGLE_OBJECT_HEADER_BYTES + body.length);
}

/** Prefixes an Avro body with the Confluent header for `schemaId` (a non-negative int32). */
export function frameConfluent(schemaId: number, body: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) {
    throw new InterestStreamError('INVALID_INPUT', `schema registry id must be an integer from 0 to 2147483647, got ${schemaId}`);
  }
  const header = Buffer.alloc(CONFLUENT_HEADER_BYTES);
  header.writeUInt8(CONFLUENT_MAGIC, 0);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body], CONFLUENT_HEADER_BYTES + body.length);
}

/** A framed message split into the writer schema's identity and the Avro body. */
export type Frame =
  | { readonly framing: 'single-object'; readonly fingerprint: string; readonly body: Buffer }
  | { readonly framing: 'confluent'; readonly schemaId: number; readonly body: Buffer };

function decodeFailed(message: string, details: Record<string, string | number>): InterestStreamError {
  return new InterestStreamError('DECODE_FAILED', message, { details });
}

/**
 * Splits a framed message. The fingerprint is returned as 16 hex digits in wire (little-endian)
 * byte order, a cheap map key. Throws DECODE_FAILED when the bytes are too short or the magic is unknown.
 */
export function parseFrame(bytes: Buffer): Frame {
  if (bytes.length < 1) throw decodeFailed('too short: empty message', { length: 0 });
  if (bytes[0] === CONFLUENT_MAGIC) {
    if (bytes.length < CONFLUENT_HEADER_BYTES) {
      throw decodeFailed(`too short: ${bytes.length} bytes, a Confluent-framed message needs at least ${CONFLUENT_HEADER_BYTES}`, { length: bytes.length });
    }
    return { framing: 'confluent', schemaId: bytes.readInt32BE(1), body: bytes.subarray(CONFLUENT_HEADER_BYTES) };
  }
  if (bytes[0] === SINGLE_OBJECT_MAGIC[0] && (bytes.length < 2 || bytes[1] === SINGLE_OBJECT_MAGIC[1])) {
    if (bytes.length < SINGLE_OBJECT_HEADER_BYTES) {
      throw decodeFailed(`too short: ${bytes.length} bytes, a single-object message needs at least ${SINGLE_OBJECT_HEADER_BYTES}`, { length: bytes.length });
    }
    return { framing: 'single-object', fingerprint: bytes.toString('hex', 2, SINGLE_OBJECT_HEADER_BYTES), body: bytes.subarray(SINGLE_OBJECT_HEADER_BYTES) };
  }
  const head = bytes.subarray(0, 2).toString('hex');
  throw decodeFailed(`bad magic: message starts with 0x${head}, expected 0x00 (Confluent) or 0xc301 (Avro single-object)`, { magic: head });
}
