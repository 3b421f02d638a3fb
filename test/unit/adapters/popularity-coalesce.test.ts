import { describe, expect, it } from 'vitest';
import { coalesce } from '../../../services/adapters/redis/redis-popularity-store.js';

describe('popularity increments of one batch', () => {
  it('become one per item that adds exactly what the views add one by one', () => {
    const halfLife = 1000;
    const views = [
      { itemId: 'a', weight: 1, at: 5000 },
      { itemId: 'b', weight: 2, at: 5500 },
      { itemId: 'a', weight: 1, at: 6000 },
      { itemId: 'a', weight: 0.5, at: 4000 },
    ];
    const out = coalesce(views, halfLife);
    expect(out.map((x) => x.itemId)).toEqual(['a', 'b']);
    // As of 6000: a = 1·2^-1 + 1 + 0.5·2^-2 = 1.625; b = 2 at 5500.
    expect(out[0]).toEqual({ itemId: 'a', weight: 1.625, at: 6000 });
    expect(out[1]).toEqual({ itemId: 'b', weight: 2, at: 5500 });
  });

  it('rejects a bad increment before anything is sent', () => {
    expect(() => coalesce([{ itemId: 'a', weight: 0, at: 1 }], 1000)).toThrow(/weight of "a" must be a finite number above 0/);
  });
});
