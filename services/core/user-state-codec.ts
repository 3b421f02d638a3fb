import avro from 'avsc';
import type { UserState, Watermark } from '../domain/types.js';
import { InterestStreamError } from './errors.js';
import { bufferToFloat32, float32ToBuffer } from './float32.js';

/**
 * The storage form of a user's state (everything but the vector), shared by Redis and the durable
 * users collection so that rehydration after a Redis loss is exact. Avro binary behind a one-byte
 * format version, so a later version can still read what this one wrote.
 */
const FORMAT_V1 = 1;

const stateType = avro.Type.forSchema({
  type: 'record',
  name: 'UserStateV1',
  namespace: 'dev.intereststream.storage',
  fields: [
    { name: 'recentViews', type: { type: 'array', items: 'string' } },
    { name: 'seen', type: { type: 'array', items: 'string' } },
    { name: 'disliked', type: { type: 'array', items: 'string' } },
    { name: 'recentEventIds', type: 'bytes' },
    { name: 'eventCount', type: 'long' },
    { name: 'lastEventAt', type: 'long' },
    { name: 'degenerateUpdates', type: 'long' },
    { name: 'erased', type: 'boolean' },
  ],
});

interface StoredState {
  recentViews: string[];
  seen: string[];
  disliked: string[];
  recentEventIds: Buffer;
  eventCount: number;
  lastEventAt: number;
  degenerateUpdates: number;
  erased: boolean;
}

/** Event-id hashes are 16 hex digits; stored packed as 8 bytes each. */
function packHashes(hashes: readonly string[]): Buffer {
  const out = Buffer.allocUnsafe(hashes.length * 8);
  hashes.forEach((h, i) => out.write(h, i * 8, 8, 'hex'));
  return out;
}

function unpackHashes(b: Buffer): string[] {
  const out: string[] = new Array(b.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = b.toString('hex', i * 8, i * 8 + 8);
  return out;
}

export function encodeStateBody(state: UserState): Buffer {
  const body = stateType.toBuffer({
    recentViews: [...state.recentViews],
    seen: [...state.seen],
    disliked: [...state.disliked],
    recentEventIds: packHashes(state.recentEventIds),
    eventCount: state.eventCount,
    lastEventAt: state.lastEventAt,
    degenerateUpdates: state.degenerateUpdates,
    erased: state.erased,
  } satisfies StoredState);
  return Buffer.concat([Buffer.of(FORMAT_V1), body]);
}

export function formatWatermark(w: Watermark | null): string {
  return w === null ? '' : `${w.partition}:${w.offset}`;
}

export function parseWatermark(s: string | null | undefined): Watermark | null {
  if (!s) return null;
  const i = s.indexOf(':');
  const partition = Number(s.slice(0, i));
  const offset = s.slice(i + 1);
  if (i < 1 || !Number.isInteger(partition) || !/^\d+$/.test(offset)) {
    throw new InterestStreamError('DECODE_FAILED', `stored watermark ${JSON.stringify(s)} is not partition:offset`);
  }
  return { partition, offset };
}

/** Rebuilds a UserState from its stored parts. */
export function decodeState(userId: string, parts: { body: Buffer; vector: Buffer | null; watermark: string | null }): UserState {
  if (parts.body.length < 1 || parts.body[0] !== FORMAT_V1) {
    throw new InterestStreamError('DECODE_FAILED', `user ${userId}: unknown state format ${parts.body[0]}`);
  }
  const s = stateType.fromBuffer(parts.body.subarray(1)) as StoredState;
  return {
    userId,
    vector: parts.vector && parts.vector.length > 0 ? bufferToFloat32(parts.vector) : null,
    recentViews: s.recentViews,
    seen: s.seen,
    disliked: s.disliked,
    recentEventIds: unpackHashes(s.recentEventIds),
    eventCount: s.eventCount,
    lastEventAt: s.lastEventAt,
    degenerateUpdates: s.degenerateUpdates,
    erased: s.erased,
    watermark: parseWatermark(parts.watermark),
  };
}

export function encodeVector(v: Float32Array | null): Buffer | null {
  return v === null ? null : float32ToBuffer(v);
}
