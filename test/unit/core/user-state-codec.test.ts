import { describe, it, expect } from 'vitest';
import { decodeState, encodeStateBody, encodeVector } from '../../../services/core/user-state-codec.js';
import type { UserState } from '../../../services/domain/types.js';

const BASE: UserState = {
  userId: 'u',
  vector: null,
  interests: [],
  recentViews: ['a', 'b'],
  seen: ['b', 'a'],
  disliked: ['z'],
  recentEventIds: ['cbf29ce484222325'],
  eventCount: 3,
  lastEventAt: 1_700_000_000_123,
  degenerateUpdates: 1,
  erased: false,
  watermark: null,
};

/** Written by the format-1 codec before multi-interest existed (BASE's fields). */
const FORMAT_1_BYTES = '0104026102620004026202610002027a0010cbf29ce48422232506f6a1abfef9620200';

describe('user state codec', () => {
  it('still decodes a state the format-1 codec wrote, with no interests', () => {
    const state = decodeState('u', { body: Buffer.from(FORMAT_1_BYTES, 'hex'), vector: null, watermark: '2:41' });
    expect(state).toEqual({ ...BASE, watermark: { partition: 2, offset: '41' } });
  });

  it('writes a state without interests exactly as format 1 did, so an older reader keeps reading it', () => {
    expect(encodeStateBody(BASE).toString('hex')).toBe(FORMAT_1_BYTES);
  });

  it('round-trips the interests bit for bit in format 2', () => {
    const vector = Float32Array.from([0.6, -0.8, 0]);
    const state: UserState = {
      ...BASE,
      vector,
      interests: [
        { vector: Float32Array.from([0.1, 0.2, Math.fround(Math.SQRT1_2)]), importance: 1.2345678901234567, updatedAt: 1_700_000_000_999 },
        { vector: Float32Array.from([0, 0, 1]), importance: 1e-300, updatedAt: 0 },
      ],
      watermark: { partition: 0, offset: '9' },
    };
    const body = encodeStateBody(state);
    expect(body[0]).toBe(2);
    expect(decodeState('u', { body, vector: encodeVector(vector), watermark: '0:9' })).toEqual(state);
  });

  it('rejects an unknown format with DECODE_FAILED', () => {
    expect(() => decodeState('u', { body: Buffer.from('03', 'hex'), vector: null, watermark: null })).toThrow(expect.objectContaining({ code: 'DECODE_FAILED' }));
  });
});
