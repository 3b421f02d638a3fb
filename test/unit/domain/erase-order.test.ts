import { describe, expect, it } from 'vitest';
import { emptyUserState, foldEvents, type FoldInput } from '../../../services/domain/fold.js';
import { DEFAULT_FOLD_PARAMS, type FoldParams, type InteractionEvent } from '../../../services/domain/types.js';

const PARAMS: FoldParams = { ...DEFAULT_FOLD_PARAMS, dimension: 2 };
const input = (eventId: string, type: InteractionEvent['type'], occurredAt: number, partition: number, offset: number): FoldInput => ({
  event: { eventId, userId: 'u', itemId: type === 'ERASE' ? '' : 'i', type, occurredAt, weight: 1 },
  item: type === 'ERASE' ? null : Float32Array.of(1, 0),
  watermark: { partition, offset: String(offset) },
});

describe('an event older than the ERASE never revives the user', () => {
  it('ignores a view stamped before the erasure, from any partition, and folds one stamped after it', () => {
    const erased = foldEvents(emptyUserState('u'), [input('v1', 'VIEW', 1000, 0, 1), input('x', 'ERASE', 2000, 0, 2)], PARAMS).state;
    // From another partition (a CRC32-keyed producer): offsets cannot order it, its time can.
    const late = foldEvents(erased, [input('v0', 'VIEW', 1500, 2, 7), input('d0', 'DISLIKE', 1999, 1, 3)], PARAMS);
    expect(late.outcomes).toEqual(['stale', 'stale']);
    expect(late.state.erased).toBe(true);
    expect(late.state.vector).toBeNull();
    expect(late.state.seen).toEqual([]);
    expect(late.state.disliked).toEqual([]);
    const after = foldEvents(late.state, [input('v2', 'VIEW', 2000, 2, 8)], PARAMS);
    expect(after.outcomes).toEqual(['applied']);
    expect(after.state.erased).toBe(false);
    expect(Array.from(after.state.vector!)).toEqual([1, 0]);
  });
});
