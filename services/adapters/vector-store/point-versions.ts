import { InterestStreamError } from '../../domain/errors.js';
import type { VectorPoint, VersionKeys } from '../../domain/ports/index.js';

/** A point's version as the conditional upsert compares it. */
export interface PointVersion {
  readonly stream: number;
  readonly position: number;
}

/**
 * The version a point carries in its payload. Both keys must hold finite numbers: a point without
 * them could never be compared, and writing it unconditionally would defeat the compare-and-set.
 */
export function pointVersion(point: VectorPoint, keys: VersionKeys): PointVersion {
  const stream = point.payload[keys.stream];
  const position = point.payload[keys.position];
  if (typeof stream !== 'number' || !Number.isFinite(stream) || typeof position !== 'number' || !Number.isFinite(position)) {
    throw new InterestStreamError('INVALID_INPUT', `point ${JSON.stringify(point.id)}: payload keys "${keys.stream}" and "${keys.position}" must be finite numbers for a conditional upsert`, {
      details: { id: point.id },
    });
  }
  return { stream, position };
}

/** True when a write at `next` may replace a stored point at `stored` (absent or unversioned: always). */
export function mayReplace(stored: PointVersion | undefined, next: PointVersion): boolean {
  return stored === undefined || stored.stream !== next.stream || stored.position <= next.position;
}
