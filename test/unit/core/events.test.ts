import { describe, expect, it } from 'vitest';
import type { InteractionEvent, InterestSnapshot } from '../../../services/domain/types.js';
import {
  decodeInteraction,
  decodeItemUpsert,
  decodeSnapshot,
  encodeInteraction,
  encodeItemUpsert,
  encodeSnapshot,
  interactionCodec,
  itemUpsertCodec,
  snapshotCodec,
} from '../../../services/core/events.js';
import { InterestStreamError, type ErrorCode } from '../../../services/domain/errors.js';

const view: InteractionEvent = { eventId: 'e-1', userId: 'u-1', itemId: 'i-1', type: 'VIEW', occurredAt: 1_700_000_000_123, weight: 1.5 };

function thrown(f: () => unknown): InterestStreamError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InterestStreamError);
    return e as InterestStreamError;
  }
  return expect.fail('expected an InterestStreamError');
}

function expectError(f: () => unknown, code: ErrorCode, message: RegExp, field?: string): void {
  const e = thrown(f);
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
  if (field !== undefined) expect(e.details.field).toBe(field);
}

/** Encodes without validation, as a foreign or buggy producer would. */
function rawInteraction(overrides: Partial<InteractionEvent>): Buffer {
  return interactionCodec().encode({ ...view, ...overrides });
}

describe('InteractionEvent', () => {
  it('round-trips through single-object encoding as a plain object', () => {
    const bytes = encodeInteraction(view);
    expect(bytes.subarray(0, 2).toString('hex')).toBe('c301');
    const back = decodeInteraction(bytes);
    expect(back).toEqual(view);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('round-trips through Confluent framing with the configured schema id', () => {
    const bytes = encodeInteraction(view, { schemaRegistryId: 17 });
    expect(bytes.subarray(0, 5).toString('hex')).toBe('0000000011');
    expect(decodeInteraction(bytes)).toEqual(view);
  });

  it('empties the itemId of an ERASE, which concerns the whole user', () => {
    const erase = { ...view, type: 'ERASE' as const, itemId: 'stray' };
    expect(decodeInteraction(rawInteraction(erase)).itemId).toBe('');
    expect(decodeInteraction(encodeInteraction(erase)).itemId).toBe('');
    expect(decodeInteraction(encodeInteraction({ ...erase, itemId: '' }))).toEqual({ ...erase, itemId: '' });
  });

  it('rejects UNKNOWN as UNKNOWN_EVENT_TYPE on both sides', () => {
    expectError(() => decodeInteraction(rawInteraction({ type: 'UNKNOWN' })), 'UNKNOWN_EVENT_TYPE', /type is UNKNOWN/, 'type');
    expectError(() => encodeInteraction({ ...view, type: 'UNKNOWN' }), 'UNKNOWN_EVENT_TYPE', /type is UNKNOWN/, 'type');
  });

  it.each([
    [{ eventId: '' }, 'eventId', /eventId is empty/],
    [{ userId: '' }, 'userId', /userId is empty/],
    [{ itemId: '' }, 'itemId', /itemId is required for VIEW/],
    [{ itemId: '', type: 'DISLIKE' as const }, 'itemId', /itemId is required for DISLIKE/],
    [{ weight: 0 }, 'weight', /weight must be a finite number above 0, got 0/],
    [{ weight: -2 }, 'weight', /got -2/],
    [{ weight: Number.NaN }, 'weight', /got NaN/],
    [{ weight: Number.POSITIVE_INFINITY }, 'weight', /got Infinity/],
    [{ occurredAt: -1 }, 'occurredAt', /occurredAt must be epoch milliseconds >= 0, got -1/],
  ])('rejects %o as INVALID_EVENT naming %s', (overrides, field, message) => {
    expectError(() => decodeInteraction(rawInteraction(overrides)), 'INVALID_EVENT', message, field);
    expectError(() => encodeInteraction({ ...view, ...overrides }), 'INVALID_EVENT', message, field);
  });

  it.each([
    [{ userId: 'u'.repeat(300) }, 'INVALID_USER_ID', 'userId', /userId is 300 characters long, at most 256 allowed/],
    [{ userId: 'a{b}' }, 'INVALID_USER_ID', 'userId', /userId may not contain control characters or braces/],
    [{ userId: 'a\tb' }, 'INVALID_USER_ID', 'userId', /userId may not contain/],
    [{ itemId: 'i'.repeat(257) }, 'INVALID_ITEM_ID', 'itemId', /itemId is 257 characters long/],
    [{ itemId: '}' }, 'INVALID_ITEM_ID', 'itemId', /itemId may not contain/],
  ] as const)('rejects %o as %s (the id rule), on decode and before encoding', (overrides, code, field, message) => {
    expectError(() => decodeInteraction(rawInteraction(overrides)), code, message, field);
    expectError(() => encodeInteraction({ ...view, ...overrides }), code, message, field);
  });

  it('refuses to publish an id with an unpaired surrogate: on the wire it would be U+FFFD, the id of another user', () => {
    expectError(() => encodeInteraction({ ...view, userId: 'a\ud800' }), 'INVALID_USER_ID', /userId may not contain an unpaired UTF-16 surrogate/, 'userId');
    expectError(() => encodeInteraction({ ...view, itemId: '\udfff' }), 'INVALID_ITEM_ID', /itemId may not contain an unpaired UTF-16 surrogate/, 'itemId');
    expect(decodeInteraction(encodeInteraction({ ...view, userId: 'a\ufffd' })).userId).toBe('a\ufffd');
  });

  it('reports bytes that are not an InteractionEvent as DECODE_FAILED', () => {
    expectError(() => decodeInteraction(Buffer.from('hello')), 'DECODE_FAILED', /bad magic/);
    const item = encodeItemUpsert({ itemId: 'i', vector: null, payload: {} });
    expectError(() => decodeInteraction(item), 'DECODE_FAILED', /unknown fingerprint .* for dev.intereststream.InteractionEvent/);
  });

  it('reuses one codec per schema', () => {
    expect(interactionCodec()).toBe(interactionCodec());
    expect(itemUpsertCodec()).toBe(itemUpsertCodec());
    expect(snapshotCodec()).toBe(snapshotCodec());
  });
});

describe('ItemUpsert', () => {
  it('round-trips the float32 vector bit for bit and the payload object', () => {
    const vector = new Float32Array([Math.PI, -0, 1.401298464324817e-45, 3.4028234663852886e38, -1 / 3]);
    const back = decodeItemUpsert(encodeItemUpsert({ itemId: 'book-1', vector, payload: { category: 'books', tags: ['a'], price: 9.5 } }), 5);
    expect(back.itemId).toBe('book-1');
    expect(Buffer.from(back.vector!.buffer).equals(Buffer.from(vector.buffer))).toBe(true);
    expect(back.payload).toEqual({ category: 'books', tags: ['a'], price: 9.5 });
  });

  it('carries a delete as a null vector', () => {
    expect(decodeItemUpsert(encodeItemUpsert({ itemId: 'gone', vector: null, payload: {} }), 3)).toEqual({ itemId: 'gone', vector: null, payload: {} });
  });

  it('rejects non-finite components naming the index, wrong dimensions and empty vectors', () => {
    const wire = (vector: number[] | null, payload = '{}') => itemUpsertCodec().encode({ itemId: 'x', vector, payload });
    expectError(() => decodeItemUpsert(wire([0.5, Number.NaN])), 'INVALID_VECTOR', /vector\[1\] is NaN/, 'vector[1]');
    expectError(() => decodeItemUpsert(wire([Number.NEGATIVE_INFINITY])), 'INVALID_VECTOR', /vector\[0\] is -Infinity/);
    expectError(() => decodeItemUpsert(wire([1, 2]), 3), 'DIMENSION_MISMATCH', /vector has 2 values, expected 3/);
    expectError(() => decodeItemUpsert(wire([])), 'INVALID_VECTOR', /vector is empty/);
    expectError(() => encodeItemUpsert({ itemId: 'x', vector: new Float32Array([1, Number.POSITIVE_INFINITY]), payload: {} }), 'INVALID_VECTOR', /vector\[1\]/);
  });

  it('rejects an empty itemId and a payload that is not a JSON object', () => {
    const wire = (itemId: string, payload: string) => itemUpsertCodec().encode({ itemId, vector: [1], payload });
    expectError(() => decodeItemUpsert(wire('', '{}')), 'INVALID_EVENT', /itemId is empty/, 'itemId');
    expectError(() => decodeItemUpsert(wire('x', '[1]')), 'INVALID_EVENT', /payload is not a JSON object/, 'payload');
    expectError(() => decodeItemUpsert(wire('x', '{oops')), 'INVALID_EVENT', /payload is not JSON text/, 'payload');
    expectError(() => decodeItemUpsert(wire('a{1}', '{}')), 'INVALID_ITEM_ID', /itemId may not contain control characters or braces/, 'itemId');
    expectError(() => encodeItemUpsert({ itemId: 'x'.repeat(257), vector: null, payload: {} }), 'INVALID_ITEM_ID', /itemId is 257 characters long/, 'itemId');
  });
});

describe('InterestSnapshot', () => {
  const snapshot: InterestSnapshot = {
    userId: 'u-1',
    vector: new Float32Array([0.6, -0.8, -0, 1e-40]),
    takenAt: 1_700_000_060_000,
    eventCount: 42,
    watermarkPartition: 3,
    watermarkOffset: '9007199254740993',
    generation: 'g2',
    window: 28_333_334,
  };

  it('round-trips every field, the vector as raw little-endian float32 bytes', () => {
    const bytes = encodeSnapshot(snapshot);
    const back = decodeSnapshot(bytes);
    expect({ ...back, vector: [...back.vector] }).toEqual({ ...snapshot, vector: [...snapshot.vector] });
    expect(Buffer.from(back.vector.buffer).equals(Buffer.from(snapshot.vector.buffer))).toBe(true);
    expect(bytes.includes(Buffer.from(snapshot.vector.buffer))).toBe(true);
  });

  it('rejects a vector whose byte length is not a multiple of 4, and a non-decimal offset', () => {
    const wire = { ...snapshot, vector: Buffer.alloc(6) };
    expectError(() => decodeSnapshot(snapshotCodec().encode(wire)), 'INVALID_EVENT', /vector has 6 bytes, not a multiple of 4/, 'vector');
    expectError(() => encodeSnapshot({ ...snapshot, watermarkOffset: '-1' }), 'INVALID_EVENT', /watermarkOffset must be a decimal offset/, 'watermarkOffset');
    expectError(() => encodeSnapshot({ ...snapshot, window: -1 }), 'INVALID_EVENT', /window must be an integer >= 0, got -1/, 'window');
    expectError(() => encodeSnapshot({ ...snapshot, vector: new Float32Array([Number.NaN]) }), 'INVALID_VECTOR', /vector\[0\] is NaN/);
  });
});
