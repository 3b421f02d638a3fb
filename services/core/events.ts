import { idProblem } from '../domain/ids.js';
import type { InteractionEvent, InterestSnapshot } from '../domain/types.js';
import { AvroCodec, type EncodeOptions } from './avro/codec.js';
import { loadSchema } from './avro/schemas.js';
import { InterestStreamError, type ErrorCode } from '../domain/errors.js';

/**
 * Decode + validate / validate + encode of the three wire records into domain shapes. Decoders
 * return plain objects (never avsc record instances) and throw coded errors the consumer can route
 * to the DLQ: DECODE_FAILED, UNKNOWN_EVENT_TYPE, INVALID_EVENT (naming the field), INVALID_VECTOR,
 * DIMENSION_MISMATCH.
 */

export type { EncodeOptions } from './avro/codec.js';

/** A live catalogue change; `vector: null` deletes the item. */
export interface ItemUpsert {
  readonly itemId: string;
  readonly vector: Float32Array | null;
  readonly payload: Record<string, unknown>;
}

interface WireItemUpsert {
  itemId: string;
  vector: number[] | null;
  payload: string;
}

interface WireSnapshot extends Omit<InterestSnapshot, 'vector'> {
  vector: Buffer;
}

function memo<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/** The shared codec of `InteractionEvent`; register extra writer schemas or registry ids on it. */
export const interactionCodec = memo(() => new AvroCodec<InteractionEvent>(loadSchema('InteractionEvent')));
/** The shared codec of `ItemUpsert`. */
export const itemUpsertCodec = memo(() => new AvroCodec<WireItemUpsert>(loadSchema('ItemUpsert')));
/** The shared codec of `InterestSnapshot`. */
export const snapshotCodec = memo(() => new AvroCodec<WireSnapshot>(loadSchema('InterestSnapshot')));

/** A validation failure: the error code, the offending field and why. */
export interface Problem {
  readonly code: ErrorCode;
  readonly field: string;
  readonly reason: string;
}

function fail(p: Problem, record: string): never {
  throw new InterestStreamError(p.code, `invalid ${record}: ${p.field} ${p.reason}`, { details: { field: p.field } });
}

const invalid = (field: string, reason: string): Problem => ({ code: 'INVALID_EVENT', field, reason });

/** The first problem of an interaction event, or undefined when it may be folded. */
export function interactionProblem(e: InteractionEvent): Problem | undefined {
  if (e.type === 'UNKNOWN') return { code: 'UNKNOWN_EVENT_TYPE', field: 'type', reason: 'is UNKNOWN (a symbol this reader does not know)' };
  if (e.eventId.length === 0) return invalid('eventId', 'is empty');
  if (e.userId.length === 0) return invalid('userId', 'is empty');
  if (e.type !== 'ERASE' && e.itemId.length === 0) return invalid('itemId', `is required for ${e.type}`);
  const ids = idsProblem(e);
  if (ids !== undefined) return ids;
  if (!Number.isFinite(e.weight) || e.weight <= 0) return invalid('weight', `must be a finite number above 0, got ${e.weight}`);
  if (!Number.isSafeInteger(e.occurredAt) || e.occurredAt < 0) return invalid('occurredAt', `must be epoch milliseconds >= 0, got ${e.occurredAt}`);
  return undefined;
}

// Ids that break the id rule get their own DLQ reasons, so an operator can tell them from other bad events.
function idsProblem(e: InteractionEvent): Problem | undefined {
  const user = idProblem(e.userId);
  if (user !== undefined) return { code: 'INVALID_USER_ID', field: 'userId', reason: user };
  const item = e.itemId === '' ? undefined : idProblem(e.itemId);
  if (item !== undefined) return { code: 'INVALID_ITEM_ID', field: 'itemId', reason: item };
  return undefined;
}

/** A copy with ERASE's itemId emptied: an erase concerns the whole user, never an item. */
function normalizeInteraction(e: InteractionEvent): InteractionEvent {
  return { eventId: e.eventId, userId: e.userId, itemId: e.type === 'ERASE' ? '' : e.itemId, type: e.type, occurredAt: e.occurredAt, weight: e.weight };
}

/** Validates (as `decodeInteraction` would) and returns the event as it goes on the wire. */
export function checkInteraction(event: InteractionEvent): InteractionEvent {
  const e = normalizeInteraction(event);
  const p = interactionProblem(e);
  if (p !== undefined) fail(p, 'InteractionEvent');
  return e;
}

/** Decodes and validates one `interactions` message (either framing). */
export function decodeInteraction(bytes: Buffer): InteractionEvent {
  return checkInteraction(interactionCodec().decode(bytes));
}

/** Validates and encodes an interaction: single-object encoding, or Confluent framing with `schemaRegistryId`. */
export function encodeInteraction(event: InteractionEvent, opts: EncodeOptions = {}): Buffer {
  return interactionCodec().encode(checkInteraction(event), opts);
}

/**
 * The first problem of a vector: a value that is not a finite float32 (naming its index), an empty
 * vector, or a dimension other than `expectedDimension`. Accepts plain arrays from JSON too.
 */
export function vectorProblem(values: ArrayLike<unknown>, expectedDimension?: number): Problem | undefined {
  if (values.length === 0) return { code: 'INVALID_VECTOR', field: 'vector', reason: 'is empty' };
  if (expectedDimension !== undefined && values.length !== expectedDimension) {
    return { code: 'DIMENSION_MISMATCH', field: 'vector', reason: `has ${values.length} values, expected ${expectedDimension}` };
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') return { code: 'INVALID_VECTOR', field: `vector[${i}]`, reason: `is not a number (${JSON.stringify(v)})` };
    if (!Number.isFinite(Math.fround(v))) return { code: 'INVALID_VECTOR', field: `vector[${i}]`, reason: `is ${v}, not a finite float32` };
  }
  return undefined;
}

/** True for a JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parsePayload(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail(invalid('payload', 'is not JSON text'), 'ItemUpsert');
  }
  return isPlainObject(parsed) ? parsed : fail(invalid('payload', 'is not a JSON object'), 'ItemUpsert');
}

function checkItem(itemId: string, vector: ArrayLike<number> | null, expectedDimension?: number): void {
  if (itemId.length === 0) fail(invalid('itemId', 'is empty'), 'ItemUpsert');
  const bad = idProblem(itemId);
  if (bad !== undefined) fail({ code: 'INVALID_ITEM_ID', field: 'itemId', reason: bad }, 'ItemUpsert');
  const p = vector === null ? undefined : vectorProblem(vector, expectedDimension);
  if (p !== undefined) fail(p, 'ItemUpsert');
}

/** Decodes one `items` message; with `expectedDimension`, a vector of another length is DIMENSION_MISMATCH. */
export function decodeItemUpsert(bytes: Buffer, expectedDimension?: number): ItemUpsert {
  const wire = itemUpsertCodec().decode(bytes);
  checkItem(wire.itemId, wire.vector, expectedDimension);
  return { itemId: wire.itemId, vector: wire.vector === null ? null : Float32Array.from(wire.vector), payload: parsePayload(wire.payload) };
}

/** Validates and encodes an item upsert (or delete, with `vector: null`). */
export function encodeItemUpsert(item: ItemUpsert, opts: EncodeOptions = {}): Buffer {
  checkItem(item.itemId, item.vector);
  const vector = item.vector === null ? null : Array.from(item.vector);
  return itemUpsertCodec().encode({ itemId: item.itemId, vector, payload: JSON.stringify(item.payload) }, opts);
}

function snapshotProblem(s: Omit<InterestSnapshot, 'vector'>): Problem | undefined {
  if (s.userId.length === 0) return invalid('userId', 'is empty');
  if (s.generation.length === 0) return invalid('generation', 'is empty');
  if (!/^\d+$/.test(s.watermarkOffset)) return invalid('watermarkOffset', `must be a decimal offset, got ${JSON.stringify(s.watermarkOffset)}`);
  for (const field of ['watermarkPartition', 'eventCount', 'takenAt', 'window'] as const) {
    if (!Number.isSafeInteger(s[field]) || s[field] < 0) return invalid(field, `must be an integer >= 0, got ${s[field]}`);
  }
  return undefined;
}

function checkSnapshot(s: Omit<InterestSnapshot, 'vector'>, vector: Float32Array): void {
  const p = snapshotProblem(s) ?? vectorProblem(vector);
  if (p !== undefined) fail(p, 'InterestSnapshot');
}

/** Raw little-endian float32, whatever the host's byte order. */
function vectorToBytes(v: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(v.length * 4);
  for (let i = 0; i < v.length; i++) out.writeFloatLE(v[i]!, i * 4);
  return out;
}

function bytesToVector(b: Buffer): Float32Array {
  if (b.length % 4 !== 0) fail(invalid('vector', `has ${b.length} bytes, not a multiple of 4`), 'InterestSnapshot');
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

/** Decodes one `interest-history` message. */
export function decodeSnapshot(bytes: Buffer): InterestSnapshot {
  const w = snapshotCodec().decode(bytes);
  const vector = bytesToVector(w.vector);
  const s: InterestSnapshot = {
    userId: w.userId,
    vector,
    takenAt: w.takenAt,
    eventCount: w.eventCount,
    watermarkPartition: w.watermarkPartition,
    watermarkOffset: w.watermarkOffset,
    generation: w.generation,
    window: w.window,
  };
  checkSnapshot(s, vector);
  return s;
}

/** Validates and encodes a snapshot. */
export function encodeSnapshot(s: InterestSnapshot, opts: EncodeOptions = {}): Buffer {
  checkSnapshot(s, s.vector);
  return snapshotCodec().encode({ ...s, vector: vectorToBytes(s.vector) }, opts);
}
