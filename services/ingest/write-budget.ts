import type { VectorPoint } from '../domain/ports/index.js';
import type { UserState } from '../domain/types.js';
import { chunkBy } from '../domain/chunks.js';

/** Limits of one durable upsert request (config DURABLE_CHUNK_POINTS, DURABLE_CHUNK_BYTES). */
export interface ChunkLimits {
  readonly maxPoints: number;
  readonly maxBytes: number;
}

/**
 * Bytes of one point in a JSON upsert request, an upper bound: a float32 widened to a double
 * prints as at most 24 characters with its comma ("-1.2345678901234567e-38,"). Qdrant's default
 * request limit is 32 MiB; a mature user (500 seen ids, 1,000 event hashes, d=256) is about 25 KB.
 */
export function encodedPointBytes(point: VectorPoint): number {
  return 64 + point.id.length * 2 + point.vector.length * 24 + JSON.stringify(point.payload).length;
}

/**
 * Splits points into requests of at most `maxPoints` points and `maxBytes` estimated bytes. A point
 * larger than `maxBytes` on its own still goes, alone: refusing it would stop the partition, and the
 * store's own limit is far above any single user.
 */
export function chunkPoints(points: readonly VectorPoint[], limits: ChunkLimits): VectorPoint[][] {
  return chunkBy(points, encodedPointBytes, { maxBytes: limits.maxBytes, maxCount: limits.maxPoints });
}

/**
 * Heap bytes a state waiting for its durable write holds, roughly: V8 strings cost a header plus
 * their characters, arrays a pointer per element. What the pending cap counts; a mature d=256 user
 * comes to about 100 KB.
 */
export function stateHeapBytes(s: UserState): number {
  const strings = (ids: readonly string[]) => ids.reduce((sum, id) => sum + 40 + id.length, 0);
  const interests = s.interests.reduce((sum, i) => sum + 64 + i.vector.byteLength, 0);
  return 256 + (s.vector?.byteLength ?? 0) + interests + strings(s.recentViews) + strings(s.seen) + strings(s.disliked) + strings(s.recentEventIds);
}
