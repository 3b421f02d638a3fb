import type { VectorPoint, VersionKeys } from '../domain/ports/index.js';
import type { UserState } from '../domain/types.js';
import { decodeState, encodeStateBody, formatWatermark } from './user-state-codec.js';

/**
 * A user's durable record in the users collection: the vector plus a payload
 * {userId, watermark, wmPartition, wmOffset, eventCount, updatedAt, hasVector, state}, where `state` is the base64 of the
 * same storage form Redis holds, so rehydrating from here after a Redis loss is exact.
 * Users without a vector (dislikes only, or erased) still need a point to keep their watermark and
 * lists; they carry a placeholder unit vector and `hasVector: false`, and are never searched.
 */
/**
 * The watermark again as numbers, for the durable stores' compare-and-set (upsertIfNewer): a write
 * never replaces a record with a later offset on the same partition.
 */
export const USER_VERSION: VersionKeys = Object.freeze({ stream: 'wmPartition', position: 'wmOffset' });

export function toUserPoint(state: UserState, dimension: number, now: number = Date.now()): VectorPoint {
  let vector = state.vector;
  if (vector === null) {
    vector = new Float32Array(dimension);
    vector[0] = 1;
  }
  return {
    id: state.userId,
    vector,
    payload: {
      userId: state.userId,
      watermark: formatWatermark(state.watermark),
      ...(state.watermark === null ? {} : { [USER_VERSION.stream]: state.watermark.partition, [USER_VERSION.position]: Number(state.watermark.offset) }),
      eventCount: state.eventCount,
      updatedAt: now,
      hasVector: state.vector !== null,
      erased: state.erased,
      state: encodeStateBody(state).toString('base64'),
    },
  };
}

export function fromUserPoint(point: VectorPoint): UserState {
  const p = point.payload;
  const userId = typeof p.userId === 'string' ? p.userId : point.id;
  return decodeState(userId, {
    body: Buffer.from(String(p.state ?? ''), 'base64'),
    vector: p.hasVector === true ? Buffer.from(point.vector.buffer, point.vector.byteOffset, point.vector.byteLength) : null,
    watermark: typeof p.watermark === 'string' ? p.watermark : null,
  });
}
