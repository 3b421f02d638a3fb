import avro from 'avsc';
import type { Interest } from '../domain/multi-interest.js';
import type { UserState, Watermark } from '../domain/types.js';
import { InterestStreamError } from '../domain/errors.js';
import { bufferToFloat32, float32ToBuffer } from './float32.js';

/**
 * The storage form of a user's state (everything but the vector), shared by Redis and the durable
 * users collection so that rehydration after a Redis loss is exact. Avro binary behind a one-byte
 * format version, so a later version can still read what this one wrote.
 *
 * Version 2 adds the multi-interest vectors. It is written only when a user has interests, so a
 * state without them is byte for byte what version 1 wrote, and a process that predates version 2
 * keeps reading every state that has none (MULTI_INTERESTS=0 keeps a roll-back possible).
 */
const FORMAT_V1 = 1;
const FORMAT_V2 = 2;

const V1_FIELDS: avro.schema.RecordType['fields'] = [
    { name: 'recentViews', type: { type: 'array', items: 'string' } },
    { name: 'seen', type: { type: 'array', items: 'string' } },
    { name: 'disliked', type: { type: 'array', items: 'string' } },
    { name: 'recentEventIds', type: 'bytes' },
    { name: 'eventCount', type: 'long' },
    { name: 'lastEventAt', type: 'long' },
    { name: 'degenerateUpdates', type: 'long' },
    { name: 'erased', type: 'boolean' },
];

const NAMESPACE = 'dev.intereststream.storage';
const stateTypeV1 = avro.Type.forSchema({ type: 'record', name: 'UserStateV1', namespace: NAMESPACE, fields: V1_FIELDS });

const interestType: avro.schema.RecordType = {
  type: 'record',
  name: 'Interest',
  fields: [
    // float32 little-endian, like the main vector.
    { name: 'vector', type: 'bytes' },
    { name: 'importance', type: 'double' },
    { name: 'updatedAt', type: 'long' },
  ],
};

const stateTypeV2 = avro.Type.forSchema({
  type: 'record',
  name: 'UserStateV2',
  namespace: NAMESPACE,
  fields: [...V1_FIELDS, { name: 'interests', type: { type: 'array', items: interestType } }],
});

interface StoredInterest {
  vector: Buffer;
  importance: number;
  updatedAt: number;
}

interface StoredState {
  recentViews: string[];
  seen: string[];
  disliked: string[];
  recentEventIds: Buffer;
  eventCount: number;
  lastEventAt: number;
  degenerateUpdates: number;
  erased: boolean;
  interests?: StoredInterest[];
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
  const stored: StoredState = {
    recentViews: [...state.recentViews],
    seen: [...state.seen],
    disliked: [...state.disliked],
    recentEventIds: packHashes(state.recentEventIds),
    eventCount: state.eventCount,
    lastEventAt: state.lastEventAt,
    degenerateUpdates: state.degenerateUpdates,
    erased: state.erased,
  };
  if (state.interests.length === 0) return Buffer.concat([Buffer.of(FORMAT_V1), stateTypeV1.toBuffer(stored)]);
  const interests = state.interests.map((i) => ({ vector: float32ToBuffer(i.vector), importance: i.importance, updatedAt: i.updatedAt }));
  return Buffer.concat([Buffer.of(FORMAT_V2), stateTypeV2.toBuffer({ ...stored, interests })]);
}

function decodeBody(userId: string, body: Buffer): StoredState {
  const format = body[0];
  if (body.length < 1 || (format !== FORMAT_V1 && format !== FORMAT_V2)) {
    throw new InterestStreamError('DECODE_FAILED', `user ${userId}: unknown state format ${format}`);
  }
  return (format === FORMAT_V1 ? stateTypeV1 : stateTypeV2).fromBuffer(body.subarray(1)) as StoredState;
}

function decodeInterests(stored: StoredInterest[] | undefined): Interest[] {
  return (stored ?? []).map((i) => ({ vector: bufferToFloat32(i.vector), importance: i.importance, updatedAt: i.updatedAt }));
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
  const s = decodeBody(userId, parts.body);
  return {
    userId,
    vector: parts.vector && parts.vector.length > 0 ? bufferToFloat32(parts.vector) : null,
    interests: decodeInterests(s.interests),
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
