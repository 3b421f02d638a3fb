/**
 * How points travel to Qdrant: vectors written with the 9 significant digits a float32 needs (not
 * the ~17 of a float64, which doubles every request), and upserts split into requests that stay
 * under both a point count and a byte size, because Qdrant refuses any body larger than its
 * `service.max_request_size_mb` (32 MiB by default) with a 400 that no retry can cure.
 */
import { InterestStreamError } from '../../domain/errors.js';

/** One point as the REST API takes it. */
export interface QdrantPointBody {
  readonly id: string;
  readonly vector: number[];
  readonly payload: Record<string, unknown>;
}

/** Limits of one upsert request. */
export interface ChunkLimits {
  /** Most points in one request. */
  readonly maxPoints: number;
  /** Most bytes of JSON in one request body, its envelope included. */
  readonly maxBytes: number;
}

/** Bytes of the `{"points":[` … `]}` (or `{"operations":[` … `]}`) envelope and a margin for the client's own framing. */
const ENVELOPE_BYTES = 64;

/**
 * Each component as the shortest decimal of at most 9 significant digits that reads back as the
 * same float32: 9 digits always round-trip a float32, and JSON.stringify then writes no more.
 */
export function compactVector(v: Float32Array): number[] {
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    out[i] = x === 0 ? 0 : Number(x.toPrecision(9));
  }
  return out;
}

/**
 * Splits points (or the batch operations carrying them, one point each) into consecutive requests
 * of at most `maxPoints` items and `maxBytes` bytes of JSON, each item measured as it is sent. A
 * single item larger than `maxBytes` on its own can never be sent: INVALID_INPUT naming its point.
 */
export function chunkPoints<T>(items: readonly T[], limits: ChunkLimits, originalId: (item: T, index: number) => string): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const [i, p] of items.entries()) {
    const size = Buffer.byteLength(JSON.stringify(p)) + 1; // the comma between items
    if (size + ENVELOPE_BYTES > limits.maxBytes) {
      const id = originalId(p, i);
      throw new InterestStreamError(
        'INVALID_INPUT',
        `point "${id}" needs ${size} bytes of JSON, more than one Qdrant request may carry (QDRANT_MAX_REQUEST_BYTES=${limits.maxBytes})`,
        { details: { id, bytes: size, maxBytes: limits.maxBytes } },
      );
    }
    if (current.length > 0 && (current.length >= limits.maxPoints || bytes + size > limits.maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = ENVELOPE_BYTES;
    }
    current.push(p);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
